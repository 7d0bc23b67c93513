using k8s.Models;
using Kubesharp.Api.Auth;
using Kubesharp.ApiServer.Auth.Authorization;
using static Kubesharp.ApiServer.Tests.Auth.Authorization.RbacFixtures;

namespace Kubesharp.ApiServer.Tests.Auth.Authorization;

public sealed class ClusterRoleAggregationTests
{
    private static V1ClusterRole Labelled(string name, IDictionary<string, string> labels, params V1PolicyRule[] rules)
    {
        var role = ClusterRole(name, rules);
        role.Metadata.Labels = labels;
        return role;
    }

    private static V1ClusterRole Aggregating(string name, params V1LabelSelector[] selectors)
    {
        var role = ClusterRole(name);
        role.Rules = null;
        role.AggregationRule = new V1AggregationRule { ClusterRoleSelectors = selectors };
        return role;
    }

    private static V1LabelSelector MatchLabels(string key, string value) => new() { MatchLabels = new Dictionary<string, string> { [key] = value } };

    [Fact]
    public void Rules_of_matching_roles_are_gathered_by_selector_then_name_without_duplicates_or_the_target_itself()
    {
        var get = Rule(["get"], [""], ["pods"]);
        var list = Rule(["list"], [""], ["pods"]);
        var watch = Rule(["watch"], [""], ["pods"]);
        var target = Aggregating("target", MatchLabels("a", "1"), MatchLabels("b", "1"));
        target.Metadata.Labels = new Dictionary<string, string> { ["a"] = "1" };
        var all = new[]
        {
            target,
            Labelled("z-by-a", new Dictionary<string, string> { ["a"] = "1" }, list, get),
            Labelled("m-by-a", new Dictionary<string, string> { ["a"] = "1" }, get),
            Labelled("a-by-b", new Dictionary<string, string> { ["b"] = "1" }, watch, Rule(["get"], [""], ["pods"])),
            Labelled("unlabelled", new Dictionary<string, string>(), Rule(["delete"], [""], ["pods"])),
        };

        var rules = ClusterRoleAggregation.Aggregate(target, all);

        Assert.Equal(["get", "list", "watch"], rules.Select(r => r.Verbs.Single()));
    }

    [Fact]
    public void Match_expressions_select_as_label_selectors_do()
    {
        var selector = new V1LabelSelector
        {
            MatchExpressions =
            [
                new V1LabelSelectorRequirement { Key = "tier", OperatorProperty = "In", Values = ["web", "api"] },
                new V1LabelSelectorRequirement { Key = "legacy", OperatorProperty = "DoesNotExist" },
                new V1LabelSelectorRequirement { Key = "team", OperatorProperty = "Exists" },
                new V1LabelSelectorRequirement { Key = "env", OperatorProperty = "NotIn", Values = ["prod"] },
            ],
        };

        Assert.True(ClusterRoleAggregation.Matches(selector, new Dictionary<string, string> { ["tier"] = "web", ["team"] = "x" }));
        Assert.True(ClusterRoleAggregation.Matches(selector, new Dictionary<string, string> { ["tier"] = "api", ["team"] = "x", ["env"] = "dev" }));
        Assert.False(ClusterRoleAggregation.Matches(selector, new Dictionary<string, string> { ["tier"] = "db", ["team"] = "x" }));
        Assert.False(ClusterRoleAggregation.Matches(selector, new Dictionary<string, string> { ["tier"] = "web", ["team"] = "x", ["legacy"] = "" }));
        Assert.False(ClusterRoleAggregation.Matches(selector, new Dictionary<string, string> { ["tier"] = "web" }));
        Assert.False(ClusterRoleAggregation.Matches(selector, new Dictionary<string, string> { ["tier"] = "web", ["team"] = "x", ["env"] = "prod" }));
        Assert.True(ClusterRoleAggregation.Matches(new V1LabelSelector(), null));
        var bogus = new V1LabelSelector { MatchExpressions = [new V1LabelSelectorRequirement { Key = "a", OperatorProperty = "Bogus" }] };
        Assert.Throws<FormatException>(() => ClusterRoleAggregation.Matches(bogus, new Dictionary<string, string> { ["a"] = "1" }));
        // The API server's start-up aggregation lets an invalid selector select nothing.
        var target = new V1ClusterRole { Metadata = new V1ObjectMeta { Name = "t" }, AggregationRule = new V1AggregationRule { ClusterRoleSelectors = [bogus] } };
        var candidate = new V1ClusterRole { Metadata = new V1ObjectMeta { Name = "c", Labels = new Dictionary<string, string> { ["a"] = "1" } }, Rules = [new V1PolicyRule { Verbs = ["get"], Resources = ["pods"], ApiGroups = [""] }] };
        Assert.Empty(ClusterRoleAggregation.Aggregate(target, [candidate], invalidSelectsNothing: true));
    }

    [Fact]
    public void The_bootstrap_view_edit_and_admin_roles_aggregate_in_a_chain()
    {
        var roles = ClusterRoleAggregation.AggregateAll(BootstrapPolicy.ClusterRoles()).ToDictionary(r => r.Metadata.Name);
        static bool Has(V1ClusterRole role, string group, string resource, string verb) =>
            role.Rules.Any(r => r.ApiGroups.Contains(group) && r.Resources.Contains(resource) && r.Verbs.Contains(verb));

        Assert.True(Has(roles["view"], "", "pods", "list"));
        Assert.False(Has(roles["view"], "", "secrets", "get"));
        Assert.True(Has(roles["edit"], "", "pods", "list"));
        Assert.True(Has(roles["edit"], "", "secrets", "get"));
        Assert.False(Has(roles["edit"], RbacNames.ApiGroup, "rolebindings", "create"));
        Assert.True(Has(roles["admin"], "", "pods", "list"));
        Assert.True(Has(roles["admin"], "", "secrets", "delete"));
        Assert.True(Has(roles["admin"], RbacNames.ApiGroup, "rolebindings", "create"));
        Assert.Null(BootstrapPolicy.ClusterRoles().Single(r => r.Metadata.Name == "admin").Rules);
    }

    [Fact]
    public void A_custom_role_labelled_aggregate_to_view_reaches_view_edit_and_admin()
    {
        var crontabs = Labelled(
            "crontab-viewer",
            new Dictionary<string, string> { [BootstrapPolicy.AggregateToView] = "true" },
            Rule(["get", "list", "watch"], ["stable.example.com"], ["crontabs"]));

        var roles = ClusterRoleAggregation.AggregateAll([.. BootstrapPolicy.ClusterRoles(), crontabs]).ToDictionary(r => r.Metadata.Name);

        foreach (var name in new[] { "view", "edit", "admin" })
        {
            Assert.Single(roles[name].Rules, r => r.Resources.Contains("crontabs"));
        }

        Assert.DoesNotContain(roles["cluster-admin"].Rules, r => r.Resources?.Contains("crontabs") == true);
    }

    [Fact]
    public void Rule_lists_compare_field_by_field_with_null_equal_to_empty()
    {
        var a = new V1PolicyRule { Verbs = ["get"], ApiGroups = [""], Resources = ["pods"], ResourceNames = null };
        var b = new V1PolicyRule { Verbs = ["get"], ApiGroups = [""], Resources = ["pods"], ResourceNames = [] };
        var c = new V1PolicyRule { Verbs = ["get"], ApiGroups = [""], Resources = ["pods"], ResourceNames = ["x"] };

        Assert.True(ClusterRoleAggregation.RulesEqual([a], [b]));
        Assert.False(ClusterRoleAggregation.RulesEqual([a], [c]));
        Assert.True(ClusterRoleAggregation.RulesEqual(null, []));
        Assert.False(ClusterRoleAggregation.RulesEqual([a, c], [c, a]));
    }
}
