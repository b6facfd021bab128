//go:build !race

package graph

// raceDetector says the tests run under the race detector.
const raceDetector = false
