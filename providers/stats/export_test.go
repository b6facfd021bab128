package stats

// NewCollidingForTest is New with an index whose first hash is the same
// for every id, so every call but the first takes the index's spill path.
func NewCollidingForTest(cfg Config) *Counter {
	c := New(cfg)
	c.index.hash1 = func(string) uint64 { return 42 }
	return c
}
