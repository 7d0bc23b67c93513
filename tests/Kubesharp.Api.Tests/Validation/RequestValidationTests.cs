using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Validation;

namespace Kubesharp.Api.Tests.Validation;

public sealed class RequestValidationTests
{
    [Theory]
    [InlineData("node to a Node", """{"target":{"kind":"Node","name":"n1"}}""", null)]
    [InlineData("node without a kind", """{"target":{"name":"n1"}}""", null)]
    [InlineData("another kind", """{"target":{"kind":"Pod","name":"n1"}}""", "target.kind: Unsupported value: \"Pod\": supported values: \"Node\", \"<empty>\"")]
    [InlineData("no name", """{"target":{"kind":"Node"}}""", "target.name: Required value")]
    [InlineData("no target", """{}""", "target.name: Required value")]
    [InlineData("both wrong", """{"target":{"kind":"Service"}}""", "[target.kind: Unsupported value: \"Service\": supported values: \"Node\", \"<empty>\", target.name: Required value]")]
    public void A_binding_targets_a_named_node(string name, string binding, string? expected)
    {
        Assert.True(expected == RequestValidation.PodBinding(JsonNode.Parse(binding)!.AsObject()), name);
    }

    [Theory]
    [InlineData("")]
    [InlineData("All")]
    [InlineData("All,All")]
    public void Dry_run_All_or_nothing_is_accepted(string dryRun)
    {
        RequestValidation.ThrowIfInvalidDryRun(dryRun.Split(',', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Any_other_dry_run_is_422_on_CreateOptions()
    {
        var e = Assert.Throws<StatusException>(() => RequestValidation.ThrowIfInvalidDryRun(["Some"]));

        Assert.Equal(422, (int)e.Code);
        Assert.Equal("CreateOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: []string{\"Some\"}: supported values: \"All\"", e.Message);
        Assert.Equal("dryRun", Assert.Single(e.Details!.Causes).Field);
    }
}
