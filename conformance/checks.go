package conformance

// allChecks run in this order; later ones rely on the ids earlier ones left
// (see each) only where they say so.
var allChecks = []check{
	{"hello", checkHello},
	{"seq-echo", checkSeqEcho},
	{"put-get", checkPutGet},
	{"nil-and-empty-content", checkNilAndEmpty},
	{"store-sets-times", checkStoreSetsTimes},
	{"get-missing", checkGetMissing},
	{"remove", checkRemove},
	{"update-activation", checkUpdateActivation},
	{"iterate", checkIterate},
	{"recall", checkRecall},
	{"sync", checkSync},
	{"stats", checkStats},
	{"layout", checkLayout},
	{"placements", checkPlacements},
	{"compact", checkCompact},
	{"failpoints", checkFailpoints},
	{"error-bad-id", checkBadID},
	{"error-bad-embedding", checkBadEmbedding},
	{"error-too-large", checkTooLarge},
	{"error-bad-request", checkBadRequest},
	{"abandoned-request", checkAbandoned},
	{"concurrent-connections", checkConcurrent},
	{"restart-keeps-synced", checkRestart},
}
