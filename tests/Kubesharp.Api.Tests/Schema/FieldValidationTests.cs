using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Schema.Fields;
using Kubesharp.Api.Schema.Models;

namespace Kubesharp.Api.Tests.Schema;

public sealed class FieldValidationTests
{
    [Theory]
    [InlineData(null, FieldValidationDirective.Warn)]
    [InlineData("", FieldValidationDirective.Warn)]
    [InlineData("Warn", FieldValidationDirective.Warn)]
    [InlineData("Strict", FieldValidationDirective.Strict)]
    [InlineData("Ignore", FieldValidationDirective.Ignore)]
    public void The_directive_defaults_to_Warn(string? value, FieldValidationDirective expected)
    {
        Assert.Equal(expected, FieldValidation.Parse(value, "CreateOptions"));
    }

    [Fact]
    public void Another_directive_is_upstreams_422_on_the_options()
    {
        var e = Assert.Throws<StatusException>(() => FieldValidation.Parse("strict", "CreateOptions"));

        Assert.Equal((HttpStatusCode)422, e.Code);
        Assert.Equal("CreateOptions.meta.k8s.io \"\" is invalid: fieldValidation: Unsupported value: \"strict\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"", e.Message);
    }

    [Fact]
    public void A_body_error_names_the_kind_and_every_problem()
    {
        var problems = FieldChecker.Check("""{"spec":{"foo":1,"paused":true,"paused":false}}"""u8, BuiltinSchemas.Instance.ForKind("apps", "v1", "Deployment")!);

        var e = FieldValidation.BodyError("Deployment", "v1", FieldValidation.Errors(["line 5: key \"name\" already set in map", "line 7: key \"x\" already set in map"], problems));

        Assert.Equal(HttpStatusCode.BadRequest, e.Code);
        Assert.Equal("Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: yaml: unmarshal errors:\n  line 5: key \"name\" already set in map\n  line 7: key \"x\" already set in map, unknown field \"spec.foo\", duplicate field \"spec.paused\"", e.Message);
    }

    [Fact]
    public void A_patch_error_is_an_invalid_patch_field()
    {
        var e = FieldValidation.PatchError(FieldValidation.GoMap(JsonNode.Parse("""{"spec":{"foo":"bar","replicas":3}}""")), ["unknown field \"spec.foo\""]);

        Assert.Equal((HttpStatusCode)422, e.Code);
        Assert.Equal(" \"\" is invalid: patch: Invalid value: \"map[spec:map[foo:bar replicas:3]]\": strict decoding error: unknown field \"spec.foo\"", e.Message);
        Assert.Equal("patch", Assert.Single(e.Details!.Causes).Field);
    }

    [Fact]
    public void Repeated_fields_keep_the_last_value_and_repeated_objects_merge()
    {
        var obj = FieldValidation.ParseLastWins("""{"a":1,"a":2,"m":{"x":1,"y":{"p":1}},"m":{"z":3,"y":{"q":2}},"l":[1],"l":[2,3]}"""u8)!;

        Assert.Equal("""{"a":2,"m":{"x":1,"y":{"p":1,"q":2},"z":3},"l":[2,3]}""", obj.ToJsonString());
    }

    [Fact]
    public void Pruning_drops_the_unknown_fields_where_they_were_found()
    {
        var json = """{"metadata":{"name":"p","bogus":1},"spec":{"containers":[{"name":"a"},{"name":"b","imagePullPolcy":"x"}],"nope":{}}}""";
        var problems = FieldChecker.Check(Encoding.UTF8.GetBytes(json), BuiltinSchemas.Instance.ForKind("", "v1", "Pod")!);
        var obj = JsonNode.Parse(json)!;

        FieldValidation.Prune(obj, problems);

        Assert.Equal("""{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"},{"name":"b"}]}}""", obj.ToJsonString());
    }
}
