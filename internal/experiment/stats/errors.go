package stats

import "errors"

// Errors returned by the functions of this package, wrapped with the input
// that caused them; test for them with errors.Is.
var (
	// ErrInvalidArgument reports a parameter outside its domain, such as a
	// confidence level not in (0, 1) or a nil random source.
	ErrInvalidArgument = errors.New("invalid argument")

	// ErrTooFewObservations reports too little data for the estimate: fewer
	// than two usable rounds for BootstrapRatio, fewer than three pilot values
	// for RoundsNeeded.
	ErrTooFewObservations = errors.New("too few observations")

	// ErrUndefinedRatio reports that the ratio of the statistics on all the
	// data is not a finite number (the statistic of variant A is zero, or a
	// statistic is NaN or infinite), or that no bootstrap resample gave one.
	ErrUndefinedRatio = errors.New("undefined ratio")
)
