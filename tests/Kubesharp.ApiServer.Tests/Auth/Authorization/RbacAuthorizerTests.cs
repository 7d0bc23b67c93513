using Kubesharp.ApiServer.Auth;
using Kubesharp.ApiServer.Auth.Authorization;
using static Kubesharp.ApiServer.Tests.Auth.Authorization.RbacFixtures;

namespace Kubesharp.ApiServer.Tests.Auth.Authorization;

public sealed class RbacAuthorizerTests
{
    private const string Authenticated = UserInfo.Authenticated;
    private const string Allow = nameof(AuthorizationOutcome.Allow);
    private const string NoOpinion = nameof(AuthorizationOutcome.NoOpinion);

    private static readonly Dictionary<string, UserInfo> Users = new()
    {
        ["root"] = User("root", UserInfo.Masters, Authenticated),
        ["anonymous"] = UserInfo.Anonymous,
        ["bob"] = User("bob", Authenticated),
        ["viewer"] = User("viewer", Authenticated),
        ["editor"] = User("editor", Authenticated),
        ["nsadmin"] = User("nsadmin", Authenticated),
        ["cmreader"] = User("cmreader", Authenticated),
        ["scaler"] = User("scaler", Authenticated),
        ["statuswriter"] = User("statuswriter", Authenticated),
        ["podsstar"] = User("podsstar", Authenticated),
        ["nodereader"] = User("nodereader", Authenticated),
        ["dangler"] = User("dangler", Authenticated),
        ["monitor"] = User("mon", "monitoring-team", Authenticated),
        ["ops"] = User("olga", "ops", Authenticated),
        ["builder-a"] = ServiceAccountUser("team-a", "builder"),
        ["builder-b"] = ServiceAccountUser("team-b", "builder"),
        ["scheduler"] = User("system:kube-scheduler", Authenticated),
        ["kcm"] = User("system:kube-controller-manager", Authenticated),
        ["proxy"] = User("system:kube-proxy", Authenticated),
        ["rs-controller"] = ServiceAccountUser("kube-system", "replicaset-controller"),
    };

    private static readonly RbacSnapshot Policy = BootstrapWith(
        roles:
        [
            Role("team-a", "builder", Rule(["create", "get"], ["batch"], ["jobs"])),
            Role("team-a", "cm-reader", Rule(["get"], [""], ["configmaps"], ["app-config"])),
            Role("team-a", "node-reader", Rule(["get", "list"], [""], ["nodes"])),
        ],
        clusterRoles:
        [
            ClusterRole("scaler", Rule(["get", "update"], ["*"], ["*/scale"])),
            ClusterRole("status-writer", Rule(["update"], [""], ["pods/status"])),
            ClusterRole("pods-star", Rule(["update"], [""], ["pods/*"])),
            ClusterRole("metrics-reader", UrlRule(["get"], "/metrics", "/debug/*")),
        ],
        roleBindings:
        [
            RoleBinding("team-a", "viewer-view", "ClusterRole", "view", UserSubject("viewer")),
            RoleBinding("team-a", "editor-edit", "ClusterRole", "edit", UserSubject("editor")),
            RoleBinding("team-a", "nsadmin-admin", "ClusterRole", "admin", UserSubject("nsadmin")),
            // A service account subject without a namespace means the binding's namespace.
            RoleBinding("team-a", "builder", "Role", "builder", ServiceAccountSubject("builder")),
            RoleBinding("team-a", "cm-reader", "Role", "cm-reader", UserSubject("cmreader")),
            RoleBinding("team-a", "node-reader", "Role", "node-reader", UserSubject("nodereader")),
        ],
        clusterRoleBindings:
        [
            ClusterRoleBinding("scaler", "scaler", UserSubject("scaler")),
            ClusterRoleBinding("status-writer", "status-writer", UserSubject("statuswriter")),
            ClusterRoleBinding("pods-star", "pods-star", UserSubject("podsstar")),
            ClusterRoleBinding("metrics-reader", "metrics-reader", GroupSubject("monitoring-team")),
            ClusterRoleBinding("ops-view", "view", GroupSubject("ops")),
            ClusterRoleBinding("dangling", "does-not-exist", UserSubject("dangler")),
        ]);

    /// <summary>
    /// Rows: case, user, verb, target, namespace, expected. A target is a non-resource path (starting
    /// with /) or <c>[group:]resource[/subresource][#name]</c>.
    /// </summary>
    public static TheoryData<string, string, string, string, string, string> Decisions => new()
    {
        { "masters may delete nodes (cluster-admin binding)", "root", "delete", "nodes#n1", "", Allow },
        { "masters may read /metrics", "root", "get", "/metrics", "", Allow },
        { "masters may create secrets anywhere", "root", "create", "secrets", "team-a", Allow },

        { "anonymous reads /livez", "anonymous", "get", "/livez", "", Allow },
        { "anonymous reads /readyz", "anonymous", "get", "/readyz", "", Allow },
        { "anonymous reads /healthz", "anonymous", "get", "/healthz", "", Allow },
        { "anonymous reads /version", "anonymous", "get", "/version", "", Allow },
        { "anonymous may not discover /api", "anonymous", "get", "/api", "", NoOpinion },
        { "anonymous may not discover /apis/apps", "anonymous", "get", "/apis/apps", "", NoOpinion },
        { "anonymous may not read /metrics", "anonymous", "get", "/metrics", "", NoOpinion },
        { "anonymous may not post /healthz", "anonymous", "post", "/healthz", "", NoOpinion },
        { "anonymous may not list pods", "anonymous", "list", "pods", "default", NoOpinion },
        { "anonymous may not review itself", "anonymous", "create", "authorization.k8s.io:selfsubjectaccessreviews", "", NoOpinion },

        { "authenticated users discover /api", "bob", "get", "/api", "", Allow },
        { "authenticated users discover /apis/apps/v1", "bob", "get", "/apis/apps/v1", "", Allow },
        { "authenticated users read /openapi/v3", "bob", "get", "/openapi/v3", "", Allow },
        { "authenticated users read /version", "bob", "get", "/version", "", Allow },
        { "authenticated users review their rules", "bob", "create", "authorization.k8s.io:selfsubjectrulesreviews", "", Allow },
        { "authenticated users review themselves", "bob", "create", "authentication.k8s.io:selfsubjectreviews", "", Allow },
        { "authenticated users may not read /metrics", "bob", "get", "/metrics", "", NoOpinion },
        { "authenticated users may not list pods", "bob", "list", "pods", "team-a", NoOpinion },

        { "view reads pods in its namespace", "viewer", "get", "pods#web", "team-a", Allow },
        { "view lists pods in its namespace", "viewer", "list", "pods", "team-a", Allow },
        { "view reads pod logs", "viewer", "get", "pods/log#web", "team-a", Allow },
        { "view lists deployments", "viewer", "list", "apps:deployments", "team-a", Allow },
        { "view reads a deployment's scale", "viewer", "get", "apps:deployments/scale#web", "team-a", Allow },
        { "view reads its own namespace object", "viewer", "get", "namespaces#team-a", "team-a", Allow },
        { "view does not read secrets", "viewer", "get", "secrets#db", "team-a", NoOpinion },
        { "view does not create pods", "viewer", "create", "pods", "team-a", NoOpinion },
        { "a RoleBinding grants nothing in another namespace", "viewer", "get", "pods#web", "team-b", NoOpinion },
        { "a RoleBinding grants nothing at cluster scope", "viewer", "list", "pods", "", NoOpinion },

        { "edit creates pods", "editor", "create", "pods", "team-a", Allow },
        { "edit reads secrets", "editor", "get", "secrets#db", "team-a", Allow },
        { "edit scales deployments", "editor", "update", "apps:deployments/scale#web", "team-a", Allow },
        { "edit creates jobs", "editor", "create", "batch:jobs", "team-a", Allow },
        { "edit impersonates service accounts", "editor", "impersonate", "serviceaccounts#builder", "team-a", Allow },
        { "edit reads what view reads (aggregated)", "editor", "get", "pods/log#web", "team-a", Allow },
        { "edit does not bind roles", "editor", "create", "rbac.authorization.k8s.io:rolebindings", "team-a", NoOpinion },
        { "edit does not write quota", "editor", "create", "resourcequotas", "team-a", NoOpinion },
        { "edit does not write pod status", "editor", "update", "pods/status#web", "team-a", NoOpinion },

        { "admin creates role bindings", "nsadmin", "create", "rbac.authorization.k8s.io:rolebindings", "team-a", Allow },
        { "admin creates local access reviews", "nsadmin", "create", "authorization.k8s.io:localsubjectaccessreviews", "team-a", Allow },
        { "admin reads pods (admin to edit to view)", "nsadmin", "get", "pods#web", "team-a", Allow },
        { "admin writes secrets (through edit)", "nsadmin", "delete", "secrets#db", "team-a", Allow },
        { "admin does not delete its namespace", "nsadmin", "delete", "namespaces#team-a", "team-a", NoOpinion },

        { "a service account bound in its namespace creates jobs there", "builder-a", "create", "batch:jobs", "team-a", Allow },
        { "the service account's binding does not reach another namespace", "builder-a", "create", "batch:jobs", "team-b", NoOpinion },
        { "a same-named service account of another namespace is not the subject", "builder-b", "create", "batch:jobs", "team-a", NoOpinion },

        { "resourceNames allow the named object", "cmreader", "get", "configmaps#app-config", "team-a", Allow },
        { "resourceNames refuse another object", "cmreader", "get", "configmaps#other", "team-a", NoOpinion },
        { "resourceNames never match a list", "cmreader", "list", "configmaps", "team-a", NoOpinion },
        { "resourceNames do not widen the verbs", "cmreader", "update", "configmaps#app-config", "team-a", NoOpinion },

        { "*/scale allows a deployment's scale", "scaler", "update", "apps:deployments/scale#web", "team-a", Allow },
        { "*/scale allows a statefulset's scale", "scaler", "get", "apps:statefulsets/scale#db", "team-b", Allow },
        { "*/scale does not allow the resource itself", "scaler", "update", "apps:deployments#web", "team-a", NoOpinion },
        { "*/scale does not allow another subresource", "scaler", "update", "pods/status#web", "team-a", NoOpinion },
        { "pods/status allows pod status", "statuswriter", "update", "pods/status#web", "team-a", Allow },
        { "pods/status does not allow the pod", "statuswriter", "update", "pods#web", "team-a", NoOpinion },
        { "pods/* is not a wildcard upstream", "podsstar", "update", "pods/status#web", "team-a", NoOpinion },

        { "a non-resource URL matches exactly", "monitor", "get", "/metrics", "", Allow },
        { "a non-resource URL ending in * matches by prefix", "monitor", "get", "/debug/pprof/heap", "", Allow },
        { "a prefix match needs the whole prefix", "monitor", "get", "/debugger", "", NoOpinion },
        { "a non-resource URL rule is for its verbs only", "monitor", "post", "/metrics", "", NoOpinion },

        { "a group's ClusterRoleBinding grants view everywhere", "ops", "list", "pods", "", Allow },
        { "a group's view still does not read secrets", "ops", "get", "secrets#db", "team-a", NoOpinion },

        { "a Role naming nodes grants nothing on nodes at cluster scope", "nodereader", "get", "nodes#n1", "", NoOpinion },
        { "a Role naming nodes does not list them either", "nodereader", "list", "nodes", "", NoOpinion },
        { "a binding to a missing role grants nothing", "dangler", "get", "pods#web", "team-a", NoOpinion },

        { "the scheduler binds pods", "scheduler", "create", "pods/binding#web", "team-a", Allow },
        { "the scheduler renews its lease", "scheduler", "update", "coordination.k8s.io:leases#kube-scheduler", "kube-system", Allow },
        { "the scheduler's lease rule is for its lease outside kube-system", "scheduler", "update", "coordination.k8s.io:leases#other", "default", NoOpinion },
        { "the controller manager lists everything", "kcm", "list", "secrets", "", Allow },
        { "the controller manager does not delete pods as itself", "kcm", "delete", "pods#web", "team-a", NoOpinion },
        { "kube-proxy lists endpoint slices", "proxy", "list", "discovery.k8s.io:endpointslices", "", Allow },
        { "kube-proxy creates no pods", "proxy", "create", "pods", "team-a", NoOpinion },
        { "the replicaset controller creates pods", "rs-controller", "create", "pods", "team-a", Allow },
        { "the replicaset controller deletes no nodes", "rs-controller", "delete", "nodes#n1", "", NoOpinion },
    };

    [Theory]
    [MemberData(nameof(Decisions))]
    public void Decides_as_upstream_over_the_bootstrap_policy(string @case, string user, string verb, string target, string ns, string expected)
    {
        var authorizer = new RbacAuthorizer(() => Policy);

        var decision = authorizer.Authorize(Request(Users[user], verb, target, ns));

        Assert.True(expected == decision.Outcome.ToString(), $"{@case}: expected {expected}, got {decision.Outcome} ({decision.Reason})");
        if (decision.Outcome == AuthorizationOutcome.Allow)
        {
            Assert.StartsWith("RBAC: allowed by ", decision.Reason, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("root", "delete", "nodes#n1", "", "RBAC: allowed by ClusterRoleBinding \"cluster-admin\" of ClusterRole \"cluster-admin\" to Group \"system:masters\"")]
    [InlineData("viewer", "get", "pods#web", "team-a", "RBAC: allowed by RoleBinding \"viewer-view/team-a\" of ClusterRole \"view\" to User \"viewer\"")]
    [InlineData("builder-a", "create", "batch:jobs", "team-a", "RBAC: allowed by RoleBinding \"builder/team-a\" of Role \"builder\" to ServiceAccount \"builder/team-a\"")]
    [InlineData("anonymous", "get", "/healthz", "", "RBAC: allowed by ClusterRoleBinding \"system:public-info-viewer\" of ClusterRole \"system:public-info-viewer\" to Group \"system:unauthenticated\"")]
    [InlineData("dangler", "get", "pods#web", "team-a", "RBAC: clusterrole.rbac.authorization.k8s.io \"does-not-exist\" not found")]
    [InlineData("bob", "get", "pods#web", "team-a", "")]
    public void Gives_upstreams_reasons(string user, string verb, string target, string ns, string reason)
    {
        var decision = new RbacAuthorizer(() => Policy).Authorize(Request(Users[user], verb, target, ns));

        Assert.Equal(reason, decision.Reason);
    }

    [Fact]
    public void Masters_without_the_cluster_admin_binding_are_allowed_by_the_privileged_groups_authorizer_not_by_rbac()
    {
        var noBindings = new RbacSnapshot([], BootstrapPolicy.ClusterRoles(), [], []);
        var rbac = new RbacAuthorizer(() => noBindings);
        var chain = new AuthorizerChain(new PrivilegedGroupsAuthorizer(), rbac);
        var request = Request(Users["root"], "delete", "nodes#n1", "");

        Assert.Equal(AuthorizationOutcome.NoOpinion, rbac.Authorize(request).Outcome);
        Assert.Equal(AuthorizationDecision.Allow(), chain.Authorize(request));
        Assert.Equal(AuthorizationOutcome.NoOpinion, new PrivilegedGroupsAuthorizer().Authorize(Request(Users["bob"], "get", "pods", "x")).Outcome);
    }

    [Fact]
    public void The_chain_returns_the_first_opinion_and_joins_the_reasons_of_those_without_one()
    {
        var first = new FixedAuthorizer(AuthorizationDecision.NoOpinion("first"));
        var silent = new FixedAuthorizer(AuthorizationDecision.NoOpinion());
        var second = new FixedAuthorizer(AuthorizationDecision.NoOpinion("second"));
        var deny = new FixedAuthorizer(AuthorizationDecision.Deny("no"));
        var request = Request(Users["bob"], "get", "pods", "x");

        Assert.Equal(AuthorizationDecision.NoOpinion("first\nsecond"), new AuthorizerChain(first, silent, second).Authorize(request));
        Assert.Equal(AuthorizationDecision.Deny("no"), new AuthorizerChain(first, deny, new PrivilegedGroupsAuthorizer()).Authorize(request));
    }

    [Fact]
    public void Rules_for_a_user_list_resource_and_non_resource_rules_from_every_binding()
    {
        var rules = new RbacAuthorizer(() => Policy).RulesFor(Users["viewer"], "team-a");

        Assert.False(rules.Incomplete);
        Assert.Null(rules.EvaluationError);
        Assert.Contains(rules.ResourceRules, r => r.Resources.Contains("pods") && r.Verbs.Contains("list") && r.ApiGroups.Contains(""));
        Assert.Contains(rules.ResourceRules, r => r.Resources.Contains("selfsubjectrulesreviews"));
        Assert.Contains(rules.NonResourceRules, r => r.NonResourceURLs.Contains("/api") && r.Verbs.Contains("get"));
        Assert.DoesNotContain(rules.ResourceRules, r => r.Resources.Contains("secrets"));

        var elsewhere = new RbacAuthorizer(() => Policy).RulesFor(Users["viewer"], "team-b");
        Assert.DoesNotContain(elsewhere.ResourceRules, r => r.Resources.Contains("pods"));
    }

    [Fact]
    public void Rules_for_a_user_report_missing_roles_as_the_evaluation_error_and_the_union_is_incomplete_with_the_node_authorizer()
    {
        var rbac = new RbacAuthorizer(() => Policy);

        var rules = rbac.RulesFor(Users["dangler"], "team-a");
        Assert.Equal("clusterrole.rbac.authorization.k8s.io \"does-not-exist\" not found", rules.EvaluationError);
        Assert.NotEmpty(rules.NonResourceRules);

        var masters = new AuthorizerChain(new PrivilegedGroupsAuthorizer(), new NodeAuthorizer(new NodeGraph()), rbac).RulesFor(Users["root"], "team-a");
        Assert.Contains(masters.ResourceRules, r => r.Verbs.SequenceEqual(["*"]) && r.Resources.SequenceEqual(["*"]) && r.ApiGroups.SequenceEqual(["*"]));
        Assert.False(masters.Incomplete);

        var node = new AuthorizerChain(new NodeAuthorizer(new NodeGraph()), rbac).RulesFor(NodeUser("n1"), "team-a");
        Assert.True(node.Incomplete);
        Assert.Equal("node authorizer does not support user rule resolution", node.EvaluationError);
    }

    /// <summary>A request from the table's compact target syntax.</summary>
    internal static RequestAttributes Request(UserInfo user, string verb, string target, string ns)
    {
        if (target.StartsWith('/'))
        {
            return NonResource(user, verb, target);
        }

        var name = "";
        var hash = target.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            name = target[(hash + 1)..];
            target = target[..hash];
        }

        var group = "";
        var colon = target.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            group = target[..colon];
            target = target[(colon + 1)..];
        }

        var parts = target.Split('/', 2);
        return Resource(user, verb, parts[0], ns, name, group, parts.Length > 1 ? parts[1] : "");
    }

    private sealed class FixedAuthorizer(AuthorizationDecision decision) : IAuthorizer
    {
        public AuthorizationDecision Authorize(RequestAttributes attributes) => decision;
    }
}
