// Package template reads AWS SAM and CloudFormation templates (YAML or JSON)
// and resolves them: short-form tags, Parameters, pseudo parameters,
// Conditions, Mappings, Globals, the AWS::LanguageExtensions transform and the
// intrinsic functions that do not depend on a running stack. Every value keeps
// the file position it came from, so that every finding names file:line:col.
//
// References to other resources (Ref, Fn::GetAtt, ${Res.Attr}) are checked but
// stay symbolic: they are resolved when a stack is deployed, not here. The
// package knows nothing about what resources mean; that is package stack.
package template
