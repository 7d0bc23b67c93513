using k8s.Models;
using Kubesharp.ApiServer.Auth;
using Kubesharp.ApiServer.Auth.Authorization;
using static Kubesharp.ApiServer.Tests.Auth.Authorization.RbacFixtures;

namespace Kubesharp.ApiServer.Tests.Auth.Authorization;

public sealed class RbacWriteCheckTests
{
    private static readonly UserInfo Editor = User("editor", UserInfo.Authenticated);
    private static readonly UserInfo Binder = User("binder", UserInfo.Authenticated);
    private static readonly UserInfo Escalator = User("escalator", UserInfo.Authenticated);
    private static readonly UserInfo NamedEscalator = User("named-escalator", UserInfo.Authenticated);
    private static readonly UserInfo Root = User("root", UserInfo.Masters);

    private static readonly V1RoleRef ClusterAdmin = new() { ApiGroup = RbacNames.ApiGroup, Kind = "ClusterRole", Name = "cluster-admin" };

    private static readonly RbacSnapshot Policy = BootstrapWith(
        roles: [Role("team-a", "pod-reader", Rule(["get", "list"], [""], ["pods"]))],
        clusterRoles:
        [
            ClusterRole("bind-cluster-admin", Rule(["bind"], [RbacNames.ApiGroup], ["clusterroles"], ["cluster-admin"])),
            ClusterRole("escalate-roles", Rule(["escalate"], [RbacNames.ApiGroup], ["roles"])),
            ClusterRole("escalate-one-role", Rule(["escalate"], [RbacNames.ApiGroup], ["roles"], ["special"])),
        ],
        roleBindings:
        [
            RoleBinding("team-a", "editor-edit", "ClusterRole", "edit", UserSubject("editor")),
            RoleBinding("team-a", "binder-edit", "ClusterRole", "edit", UserSubject("binder")),
            RoleBinding("team-a", "binder-bind", "ClusterRole", "bind-cluster-admin", UserSubject("binder")),
            RoleBinding("team-a", "escalator", "ClusterRole", "escalate-roles", UserSubject("escalator")),
            RoleBinding("team-a", "named-escalator", "ClusterRole", "escalate-one-role", UserSubject("named-escalator")),
        ]);

    private static readonly IAuthorizer Authorizer = new RbacAuthorizer(() => Policy);

    [Fact]
    public void Edit_in_a_namespace_may_not_bind_cluster_admin_there()
    {
        var message = RbacWriteCheck.CheckRoleBinding(Editor, "team-a", "grab", ClusterAdmin, Policy, Authorizer);

        Assert.Equal(
            "rolebindings.rbac.authorization.k8s.io \"grab\" is forbidden: user \"editor\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n"
            + "{APIGroups:[\"*\"], Resources:[\"*\"], Verbs:[\"*\"]}\n"
            + "{NonResourceURLs:[\"*\"], Verbs:[\"*\"]}",
            message);
    }

    [Fact]
    public void Bind_on_the_cluster_role_allows_binding_it_in_that_namespace_only()
    {
        Assert.Null(RbacWriteCheck.CheckRoleBinding(Binder, "team-a", "grab", ClusterAdmin, Policy, Authorizer));
        Assert.NotNull(RbacWriteCheck.CheckRoleBinding(Binder, "team-b", "grab", ClusterAdmin, Policy, Authorizer));
        Assert.NotNull(RbacWriteCheck.CheckClusterRoleBinding(Binder, "grab", ClusterAdmin, Policy, Authorizer));
        var view = new V1RoleRef { ApiGroup = RbacNames.ApiGroup, Kind = "ClusterRole", Name = "admin" };
        Assert.NotNull(RbacWriteCheck.CheckRoleBinding(Binder, "team-a", "more", view, Policy, Authorizer));
    }

    [Fact]
    public void A_binding_to_a_role_whose_rules_one_holds_is_allowed()
    {
        var podReader = new V1RoleRef { ApiGroup = RbacNames.ApiGroup, Kind = "Role", Name = "pod-reader" };
        var view = new V1RoleRef { ApiGroup = RbacNames.ApiGroup, Kind = "ClusterRole", Name = "view" };

        Assert.Null(RbacWriteCheck.CheckRoleBinding(Editor, "team-a", "share", podReader, Policy, Authorizer));
        Assert.Null(RbacWriteCheck.CheckRoleBinding(Editor, "team-a", "share-view", view, Policy, Authorizer));
        Assert.NotNull(RbacWriteCheck.CheckRoleBinding(Editor, "team-b", "share-view", view, Policy, Authorizer));
    }

    [Fact]
    public void A_binding_to_a_missing_role_is_forbidden_with_the_registrys_not_found()
    {
        var missing = new V1RoleRef { ApiGroup = RbacNames.ApiGroup, Kind = "ClusterRole", Name = "nope" };

        Assert.Equal(
            "rolebindings.rbac.authorization.k8s.io \"b\" is forbidden: clusterroles.rbac.authorization.k8s.io \"nope\" not found",
            RbacWriteCheck.CheckRoleBinding(Editor, "team-a", "b", missing, Policy, Authorizer));
    }

    [Fact]
    public void A_role_with_rules_one_lacks_is_refused_and_one_with_rules_one_holds_is_allowed()
    {
        var held = new List<V1PolicyRule> { Rule(["get", "list"], [""], ["pods"]) };
        var lacking = new List<V1PolicyRule> { Rule(["get", "list"], [""], ["pods"]), Rule(["create", "delete"], [RbacNames.ApiGroup], ["roles"]) };

        Assert.Null(RbacWriteCheck.CheckRole(Editor, "team-a", "mine", isCreate: true, held, Policy, Authorizer));
        Assert.Equal(
            "roles.rbac.authorization.k8s.io \"mine\" is forbidden: user \"editor\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n"
            + "{APIGroups:[\"rbac.authorization.k8s.io\"], Resources:[\"roles\"], Verbs:[\"create\" \"delete\"]}",
            RbacWriteCheck.CheckRole(Editor, "team-a", "mine", isCreate: true, lacking, Policy, Authorizer));
        Assert.NotNull(RbacWriteCheck.CheckRole(Editor, "team-b", "mine", isCreate: true, held, Policy, Authorizer));
    }

    [Fact]
    public void Escalate_on_roles_allows_any_rules()
    {
        var everything = new List<V1PolicyRule> { Rule(["*"], ["*"], ["*"]) };

        Assert.Null(RbacWriteCheck.CheckRole(Escalator, "team-a", "big", isCreate: true, everything, Policy, Authorizer));
        Assert.Null(RbacWriteCheck.CheckRole(Escalator, "team-a", "big", isCreate: false, everything, Policy, Authorizer));
        Assert.NotNull(RbacWriteCheck.CheckRole(Escalator, "team-b", "big", isCreate: true, everything, Policy, Authorizer));
    }

    [Fact]
    public void Escalate_limited_to_a_name_counts_on_update_but_not_on_create_where_upstream_asks_without_a_name()
    {
        var everything = new List<V1PolicyRule> { Rule(["*"], ["*"], ["*"]) };

        Assert.Null(RbacWriteCheck.CheckRole(NamedEscalator, "team-a", "special", isCreate: false, everything, Policy, Authorizer));
        Assert.NotNull(RbacWriteCheck.CheckRole(NamedEscalator, "team-a", "special", isCreate: true, everything, Policy, Authorizer));
        Assert.NotNull(RbacWriteCheck.CheckRole(NamedEscalator, "team-a", "other", isCreate: false, everything, Policy, Authorizer));
    }

    [Fact]
    public void Masters_skip_every_check_even_without_bindings()
    {
        var empty = RbacSnapshot.Empty;
        var nobody = new RbacAuthorizer(() => empty);
        var everything = new List<V1PolicyRule> { Rule(["*"], ["*"], ["*"]) };

        Assert.Null(RbacWriteCheck.CheckRole(Root, "team-a", "r", isCreate: true, everything, empty, nobody));
        Assert.Null(RbacWriteCheck.CheckClusterRole(Root, ClusterRole("c", everything[0]), null, isCreate: true, empty, nobody));
        Assert.Null(RbacWriteCheck.CheckClusterRoleBinding(Root, "b", ClusterAdmin, empty, nobody));
        Assert.NotNull(RbacWriteCheck.CheckClusterRoleBinding(User("root"), "b", ClusterAdmin, empty, nobody));
    }

    [Fact]
    public void An_aggregation_rule_takes_cluster_admin_even_when_the_rules_are_held()
    {
        var policy = BootstrapWith(clusterRoleBindings: [ClusterRoleBinding("ops-edit", "edit", UserSubject("ops"))]);
        var ops = User("ops");
        var aggregated = ClusterRole("custom", Rule(["get"], [""], ["pods"]));
        aggregated.AggregationRule = new V1AggregationRule { ClusterRoleSelectors = [new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["x"] = "y" } }] };
        var plain = ClusterRole("custom", Rule(["get"], [""], ["pods"]));
        var authorizer = new RbacAuthorizer(() => policy);

        Assert.Null(RbacWriteCheck.CheckClusterRole(ops, plain, null, isCreate: true, policy, authorizer));
        Assert.Equal(
            "clusterroles.rbac.authorization.k8s.io \"custom\" is forbidden: must have cluster-admin privileges to use the aggregationRule",
            RbacWriteCheck.CheckClusterRole(ops, aggregated, null, isCreate: true, policy, authorizer));
        Assert.NotNull(RbacWriteCheck.CheckClusterRole(ops, plain, oldRole: aggregated, isCreate: false, policy, authorizer));
    }

    [Fact]
    public void Missing_permissions_list_the_resolution_errors_of_ones_own_bindings()
    {
        var policy = new RbacSnapshot(
            [],
            [ClusterRole("reader", Rule(["get"], [""], ["pods"]))],
            [RoleBinding("team-a", "r", "ClusterRole", "reader", UserSubject("u")), RoleBinding("team-a", "gone", "Role", "gone", UserSubject("u"))],
            []);

        var message = EscalationCheck.ConfirmNoEscalation(policy, User("u"), "team-a", [Rule(["list"], [""], ["pods"])]);

        Assert.Equal(
            "user \"u\" (groups=[]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"list\"]}; resolution errors: [roles.rbac.authorization.k8s.io \"gone\" not found]",
            message);
        Assert.Null(EscalationCheck.ConfirmNoEscalation(policy, User("u"), "team-a", [Rule(["get"], [""], ["pods"])]));
    }

    public static TheoryData<string, V1PolicyRule[], V1PolicyRule, bool> Coverage => new()
    {
        { "* covers every verb, group and resource", [Rule(["*"], ["*"], ["*"])], Rule(["delete"], ["apps"], ["deployments"]), true },
        { "a specific rule does not cover a servant's *", [Rule(["get", "list"], [""], ["pods"])], Rule(["*"], [""], ["pods"]), false },
        { "*/scale covers a resource's scale", [Rule(["update"], ["apps"], ["*/scale"])], Rule(["update"], ["apps"], ["deployments/scale"]), true },
        { "*/scale does not cover the resource", [Rule(["update"], ["apps"], ["*/scale"])], Rule(["update"], ["apps"], ["deployments"]), false },
        { "an owner without names covers any name", [Rule(["get"], [""], ["secrets"])], Rule(["get"], [""], ["secrets"], ["a"]), true },
        { "an owner with names covers only those", [Rule(["get"], [""], ["secrets"], ["a", "b"])], Rule(["get"], [""], ["secrets"], ["a", "c"]), false },
        { "an owner with names does not cover a nameless rule", [Rule(["get"], [""], ["secrets"], ["a"])], Rule(["get"], [""], ["secrets"]), false },
        { "atoms may be covered by different owner rules", [Rule(["get"], [""], ["pods"]), Rule(["list"], [""], ["pods"])], Rule(["get", "list"], [""], ["pods"]), true },
        { "a URL ending in * covers by prefix", [UrlRule(["get"], "/logs/*")], UrlRule(["get"], "/logs/a/b"), true },
        { "a URL rule covers no other verb", [UrlRule(["get"], "/metrics")], UrlRule(["post"], "/metrics"), false },
        { "a resource rule covers no URL", [Rule(["*"], ["*"], ["*"])], UrlRule(["get"], "/metrics"), false },
    };

    [Theory]
    [MemberData(nameof(Coverage))]
    public void Covers_as_upstreams_policy_comparator(string @case, V1PolicyRule[] owner, V1PolicyRule servant, bool covers)
    {
        Assert.True(covers == RuleCoverage.Covers(owner, [servant], out var missing), @case);
        Assert.Equal(covers, missing.Count == 0);
    }
}
