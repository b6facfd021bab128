//go:build !race

package notification

// raceDetector says the tests run under the race detector.
const raceDetector = false
