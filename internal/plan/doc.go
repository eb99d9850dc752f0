// Package plan computes change sets: what happens to each resource when one
// version of a stack is replaced by another, in the manner of CloudFormation
// change sets. A resource is added, modified in place, replaced (deleted and
// created again, because its type changed or a property that cannot be
// updated in place changed) or removed; for modified and replaced resources
// the change set names every changed property by its dotted path.
//
// Diff is pure: it takes two stack.Stack values and returns a ChangeSet,
// with no I/O, so that deploy, the CLI and the control API all show the same
// plan and tests need nothing but tables. WriteTable renders a ChangeSet for
// people; json.Marshal renders it for programs.
//
// The package knows the stack model and CloudFormation's replacement rules
// (replace.go). It knows nothing about how templates are parsed, how a plan is
// applied, or how resources run.
package plan
