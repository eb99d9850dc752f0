package stack_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/diag"
	"github.com/stacklab/stacklab/internal/stack"
	"github.com/stacklab/stacklab/internal/template"
)

// knownBroken are templates of SAM's test suite that the SAM translator
// accepts (it does not check references, leaving that to CloudFormation)
// but that CloudFormation itself would reject. stacklab reports them; the
// test checks that every error they get is one of the reasons given here,
// so a template failing for any other reason still fails the test.
var knownBroken = map[string][]string{
	"api_http_with_default_iam_authorizer.yaml":    {"unknown variable ${StageName}", `unknown parameter or resource "UserPool`},
	"api_with_any_method_in_swagger.yaml":          {`unknown parameter or resource "Stage"`},
	"api_with_custom_base_path.yaml":               {`unknown parameter or resource "HostedZoneId"`},
	"application_with_intrinsics.yaml":             {`mapping ApplicationLocations has no key "us-east-1"`},
	"congito_userpool_with_sms_configuration.yaml": {`unknown resource "UserPoolRole"`, `unknown parameter or resource "ExternalId"`},
	"connector_bucket_to_function.yaml":            {`unknown resource "InvokedFunction"`},
	"connector_dependson_replace.yaml":             {"DependsOn names unknown resource", "missing required property", `unknown parameter or resource "SomeRole"`, "needs an EventPattern or a ScheduleExpression"},
	"connector_esm_dependson.yaml":                 {"DependsOn names unknown resource", "missing required property", `unknown parameter or resource "SomeRole"`, "needs an EventPattern or a ScheduleExpression"},
	"connector_function_to_sqs.yaml":               {`unknown parameter or resource "MyTable"`},
	"connector_hardcoded_lambda_arn.yaml":          {`unknown resource "SomeLambda"`},
	"connector_hardcoded_props.yaml":               {"missing required property Code", "needs an EventPattern or a ScheduleExpression", `unknown resource "Egg"`, `unknown condition "true"`},
	"connector_rule_to_sns.yaml":                   {`unknown resource "StateMachine"`},
	"connector_sfn_to_function.yaml":               {`unknown resource "StateMachineFunction"`},
	"connector_sns_to_function.yaml":               {`unknown parameter or resource "MyTable"`},
	"function_with_event_dest_basic.yaml":          {`unknown condition "SomeCondition"`},
	"function_with_event_filtering.yaml":           {"missing required property AttributeDefinitions", "missing required property KeySchema"},
	"http_api_existing_openapi.yaml":               {"unknown variable ${DifferentFunction.Arn}"},
	"http_api_existing_openapi_conditions.yaml":    {"unknown variable ${DifferentFunction.Arn}"},
	"intrinsic_functions.yaml":                     {"unknown intrinsic function Fn::Ref"},
	"layers_with_intrinsics.yaml":                  {`unknown parameter or resource "LayerRuntimeString"`},
	"resource_with_invalid_type.yaml":              {"Type must be a string"},
	"schema_validation_1.yaml":                     {"unknown variable ${EnvironmentTagName}", "unknown variable ${StackTagName}"},
	"state_machine_with_event_schedule_state.yaml": {`unknown parameter or resource "ScheduleState"`},
	"state_machine_with_schedule.yaml":             {`unknown parameter or resource "ScheduleState"`, `unknown parameter or resource "KMSKeyArn"`},
	"unsupported_resources.yaml":                   {"the resource has no Type"},
}

// minRejected is how many of the corpus's error_* templates stacklab must
// reject at least; raise it as checks are added.
const minRejected = 190

func corpusDir(t *testing.T) string {
	dir := os.Getenv("STACKLAB_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus", "sam-translator", "input")
	}
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("SAM corpus not found at %s (set STACKLAB_CORPUS): %v", dir, err)
		}
		t.Skipf("SAM corpus not found at %s (set STACKLAB_CORPUS)", dir)
	}
	return dir
}

func check(t *testing.T, name string, src []byte) diag.List {
	t.Helper()
	done := make(chan diag.List, 1)
	go func() {
		tmpl, diags := template.Load(name, src, template.Options{})
		if tmpl != nil {
			_, more := stack.Build(tmpl)
			diags = append(diags, more...)
		}
		done <- diags
	}()
	select {
	case d := <-done:
		return d
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: validate did not finish in 20s", name)
		return nil
	}
}

// TestSAMCorpus runs every template of the SAM translator's test suite
// through validate: none may crash or hang, the valid ones must produce no
// error, and the rejected error_* ones must say where and what to do.
func TestSAMCorpus(t *testing.T) {
	dir := corpusDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) < 800 {
		t.Fatalf("found %d templates in %s, want the 831 of the corpus (err %v)", len(files), dir, err)
	}
	var valid, invalid, rejected int
	var missed []string
	for _, f := range files {
		name := filepath.Base(f)
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		diags := check(t, name, src)
		var errs []diag.Diagnostic
		for _, d := range diags {
			if d.Message == "" || d.Line < 1 || d.File != name {
				t.Errorf("%s: diagnostic without place or message: %+v", name, d)
			}
			if d.Severity == diag.Error {
				errs = append(errs, d)
				if d.Fix == "" {
					t.Errorf("%s: error without a fix: %s", name, d)
				}
			}
		}
		if strings.HasPrefix(name, "error_") {
			invalid++
			if len(errs) > 0 {
				rejected++
			} else {
				missed = append(missed, name)
			}
			continue
		}
		valid++
		reasons, broken := knownBroken[name]
		if broken && len(errs) == 0 {
			t.Errorf("%s: listed as rejected by CloudFormation but has no error now; remove it from knownBroken", name)
		}
		for _, e := range errs {
			if !broken || !containsAny(e.String(), reasons) {
				t.Errorf("%s: valid template got an error: %s", name, e)
			}
		}
	}
	sort.Strings(missed)
	t.Logf("valid templates: %d (%d known to be rejected by CloudFormation); error_* templates: %d, rejected %d, not rejected %d", valid, len(knownBroken), invalid, rejected, len(missed))
	if rejected < minRejected {
		t.Errorf("rejected %d error_* templates, want at least %d", rejected, minRejected)
	}
	if testing.Verbose() {
		t.Logf("not rejected: %s", strings.Join(missed, " "))
	}
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
