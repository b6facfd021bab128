package stats

// NewCollidingForTest is New with an index whose first hash is the same
// for every id, so every call's entry shares one run of the table and only
// the second hash, in its record, tells them apart.
func NewCollidingForTest(cfg Config) *Counter {
	c := New(cfg)
	c.index.colliding = true
	return c
}
