package client

// Bounded marks c as a Client whose calls run in this process and may
// ignore their context (a user's store, package warmtest): the Recorder then
// runs each of its calls on the worker's executor, abandons it at its
// deadline (it ends info) and recovers its panics, as for InProcess. Calls
// made outside a Recorder go straight to c.
func Bounded(c Client) Client { return boundedClient{c} }

type boundedClient struct{ Client }

func (b boundedClient) direct() Client { return b.Client }
