using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Validation;

namespace Kubesharp.Api.Tests.Validation;

public sealed class ValidatorTests
{
    [Fact]
    public void ThrowIfInvalid_answers_422_with_every_cause_and_upstreams_summary()
    {
        var pod = ValidationCase.Build("", "Pod", Objects.Pod, """{"metadata":{"labels":{"a b":"x"}},"spec":{"containers":[{"name":"c","image":"","ports":[{"containerPort":0}]}]}}""");

        var e = Assert.Throws<StatusException>(() => Validator.ThrowIfInvalid("", "Pod", "p", pod));

        Assert.Equal(422, (int)e.Code);
        Assert.Equal("Invalid", e.Reason);
        Assert.Equal(["FieldValueInvalid", "FieldValueRequired", "FieldValueRequired"], e.Details!.Causes.Select(c => c.Reason));
        Assert.StartsWith("Pod \"p\" is invalid: [metadata.labels: Invalid value: \"a b\": name part must consist of alphanumeric characters", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("spec.containers[0].image: Required value, spec.containers[0].ports[0].containerPort: Required value]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_quantity_is_400_as_upstreams_decoding_answers_it()
    {
        var pod = ValidationCase.Build("", "Pod", Objects.Pod, """{"spec":{"containers":[{"name":"c","image":"x","resources":{"limits":{"cpu":"1x"}}}]}}""");

        var e = Assert.Throws<StatusException>(() => Validator.ThrowIfInvalid("", "Pod", "p", pod));

        Assert.Equal(400, (int)e.Code);
        Assert.Equal("BadRequest", e.Reason);
        Assert.Equal("Pod in version \"v1\" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'", e.Message);
    }

    [Fact]
    public void A_status_update_checks_metadata_only()
    {
        var old = ValidationCase.Build("", "Pod", Objects.Pod, "{}");
        var changed = ValidationCase.Build("", "Pod", Objects.Pod, """{"spec":{"restartPolicy":"Sometimes"}}""");

        Validator.ThrowIfInvalidUpdate("", "Pod", "p", old, changed, status: true);
        Assert.Throws<StatusException>(() => Validator.ThrowIfInvalidUpdate("", "Pod", "p", old, changed));
    }

    [Theory]
    [InlineData("", "ServiceAccount")]
    [InlineData("rbac.authorization.k8s.io", "Role")]
    [InlineData("example.com", "Widget")]
    public void Kinds_without_rules_of_their_own_get_the_metadata_rules(string group, string kind)
    {
        var obj = JsonNode.Parse("""{"metadata":{"name":"ok","labels":{"app":"-bad"}}}""")!.AsObject();

        var causes = Validator.Validate(group, kind, obj);

        Assert.Equal("metadata.labels", Assert.Single(causes).Field);
    }
}
