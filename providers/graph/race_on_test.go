//go:build race

package graph

// raceDetector says the tests run under the race detector, which makes the
// flood tests ten times slower and their heap figures meaningless.
const raceDetector = true
