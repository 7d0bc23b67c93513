using k8s.Models;
using Kubesharp.Controllers.ClusterRoleAggregation;
using Kubesharp.Controllers.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.ClusterRoleAggregation;

public sealed class ClusterRoleAggregationTests
{
    private static V1PolicyRule Rule(string resource, string verb = "get") => new() { ApiGroups = [""], Resources = [resource], Verbs = [verb] };

    private static V1ClusterRole Role(string name, IDictionary<string, string>? labels, params V1PolicyRule[] rules) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels, ResourceVersion = "3" },
        Rules = rules,
    };

    private static V1ClusterRole Aggregate(string name, params V1LabelSelector[] selectors) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, ResourceVersion = "3", Labels = new Dictionary<string, string> { ["team"] = "a" } },
        AggregationRule = new V1AggregationRule { ClusterRoleSelectors = selectors },
    };

    private static V1LabelSelector Labels(string key, string value) => new() { MatchLabels = new Dictionary<string, string> { [key] = value } };

    [Fact]
    public void Rules_come_selector_by_selector_then_by_role_name_without_duplicates_or_the_target_itself()
    {
        var target = Aggregate("target", Labels("team", "a"), Labels("extra", "yes"));
        target.Rules = [Rule("own")];
        var roles = new[]
        {
            target,
            Role("b-role", new Dictionary<string, string> { ["team"] = "a" }, Rule("secrets"), Rule("pods")),
            Role("a-role", new Dictionary<string, string> { ["team"] = "a" }, Rule("pods")),
            Role("c-role", new Dictionary<string, string> { ["extra"] = "yes" }, Rule("nodes"), new V1PolicyRule { ApiGroups = [""], Resources = ["pods"], Verbs = ["get"], ResourceNames = [] }),
            Role("unselected", new Dictionary<string, string> { ["team"] = "b" }, Rule("leases")),
        };

        var rules = Api.Auth.ClusterRoleAggregation.Aggregate(target, roles);

        // A null list equals an empty one: c-role's pods rule with ResourceNames = [] is a duplicate.
        Assert.Equal(["pods", "secrets", "nodes"], rules.Select(r => r.Resources[0]));
    }

    [Theory]
    [InlineData("In", new[] { "a", "b" }, true)]
    [InlineData("In", new[] { "b" }, false)]
    [InlineData("NotIn", new[] { "b" }, true)]
    [InlineData("Exists", new string[0], true)]
    [InlineData("DoesNotExist", new string[0], false)]
    public void Match_expressions_select_as_label_selectors_do(string op, string[] values, bool selected)
    {
        var selector = new V1LabelSelector { MatchExpressions = [new V1LabelSelectorRequirement { Key = "team", OperatorProperty = op, Values = values }] };

        Assert.Equal(selected, Api.Auth.ClusterRoleAggregation.Matches(selector, new Dictionary<string, string> { ["team"] = "a" }));
    }

    [Fact]
    public void An_unknown_operator_is_an_error_as_upstream()
    {
        var selector = new V1LabelSelector { MatchExpressions = [new V1LabelSelectorRequirement { Key = "team", OperatorProperty = "Near" }] };

        Assert.Throws<FormatException>(() => Api.Auth.ClusterRoleAggregation.Matches(selector, null));
    }

    [Fact]
    public async Task The_controller_writes_the_union_when_it_differs_and_nothing_when_it_matches()
    {
        var cluster = new FakeCluster();
        await using var _ = cluster;
        var api = new FakeClusterRoleApi();
        using var controller = new ClusterRoleAggregationController(cluster.Informers, api, cluster.Clock, NullLoggerFactory.Instance);
        var stale = Aggregate("stale", Labels("part", "x"));
        stale.Rules = [Rule("old")];
        var current = Aggregate("current", Labels("part", "x"));
        current.Rules = [Rule("pods"), Rule("nodes", "list")];
        cluster.Seed(
            stale,
            current,
            Role("p1", new Dictionary<string, string> { ["part"] = "x" }, Rule("pods")),
            Role("p2", new Dictionary<string, string> { ["part"] = "x" }, Rule("nodes", "list")));
        await cluster.StartAsync();

        await controller.SyncAsync("stale", CancellationToken.None);
        await controller.SyncAsync("current", CancellationToken.None);
        await controller.SyncAsync("p1", CancellationToken.None);

        var written = Assert.Single(api.Writes);
        Assert.Equal(("stale", "3"), (written.Metadata.Name, written.Metadata.ResourceVersion));
        Assert.Equal(["pods", "nodes"], written.Rules.Select(r => r.Resources[0]));
    }
}
