package register

import "errors"

// ErrMalformed means the history cannot be read as register operations (a
// completion without an invoke, a put without input, ...).
var ErrMalformed = errors.New("linearizable: malformed history")
