namespace Kubesharp.Api.Tests.Printing;

/// <summary>Golden rows for coordination, discovery, policy, scheduling and RBAC, and for the default table.</summary>
public sealed class GroupPrinterTests
{
    private const string Meta = """ "metadata":{"name":"x","creationTimestamp":"2025-06-01T11:55:00Z"} """;

    [Theory]
    [InlineData("held lease", "coordination.k8s.io", "Lease", "{" + Meta + """, "spec":{"holderIdentity":"kube-scheduler-cp1_1234"} }""", """["x","kube-scheduler-cp1_1234","5m"]""")]
    [InlineData("free lease", "coordination.k8s.io", "Lease", "{" + Meta + "}", """["x","","5m"]""")]
    [InlineData("endpoint slice", "discovery.k8s.io", "EndpointSlice",
        "{" + Meta + """, "addressType":"IPv4", "ports":[{"name":"http","port":80},{"name":"named"},{}], "endpoints":[{"addresses":["10.0.0.1"]},{"addresses":["10.0.0.2","10.0.0.3"]},{"addresses":["10.0.0.4"]}] }""",
        """["x","IPv4","80,named,*","10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...","5m"]""")]
    [InlineData("empty endpoint slice", "discovery.k8s.io", "EndpointSlice", "{" + Meta + """, "addressType":"IPv6" }""", """["x","IPv6","<unset>","<unset>","5m"]""")]
    [InlineData("budget by number", "policy", "PodDisruptionBudget", "{" + Meta + """, "spec":{"minAvailable":2}, "status":{"disruptionsAllowed":1} }""", """["x","2","N/A",1,"5m"]""")]
    [InlineData("budget by percentage", "policy", "PodDisruptionBudget", "{" + Meta + """, "spec":{"maxUnavailable":"25%"} }""", """["x","N/A","25%",0,"5m"]""")]
    [InlineData("priority class", "scheduling.k8s.io", "PriorityClass", "{" + Meta + """, "value":1000000, "globalDefault":true, "preemptionPolicy":"Never" }""", """["x",1000000,true,"5m","Never"]""")]
    [InlineData("system priority class", "scheduling.k8s.io", "PriorityClass", "{" + Meta + """, "value":2000001000 }""", """["x",2000001000,false,"5m",""]""")]
    [InlineData("role binding", "rbac.authorization.k8s.io", "RoleBinding",
        "{" + Meta + """, "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"}, "subjects":[{"kind":"User","name":"jane"},{"kind":"ServiceAccount","namespace":"ci","name":"bot"},{"kind":"Group","name":"devs"},{"kind":"User","name":"joe"}] }""",
        """["x","ClusterRole/view","5m","jane, joe","devs","ci/bot"]""")]
    [InlineData("cluster role binding without subjects", "rbac.authorization.k8s.io", "ClusterRoleBinding",
        "{" + Meta + """, "roleRef":{"kind":"ClusterRole","name":"cluster-admin"} }""",
        """["x","ClusterRole/cluster-admin","5m","","",""]""")]
    public void Rows(string name, string group, string kind, string json, string expected) => Golden.Assert(name, group, kind, json, expected);

    [Theory]
    [InlineData("role", "rbac.authorization.k8s.io", "Role", "{" + Meta + "}", """["x","2025-06-01T11:55:00Z"]""")]
    [InlineData("cluster role, fraction dropped", "rbac.authorization.k8s.io", "ClusterRole",
        """{"metadata":{"name":"x","creationTimestamp":"2025-06-01T13:55:00.5+02:00"}}""", """["x","2025-06-01T11:55:00Z"]""")]
    [InlineData("limit range", "", "LimitRange", "{" + Meta + "}", """["x","2025-06-01T11:55:00Z"]""")]
    [InlineData("CRD without a creation time prints Go's zero time", "apiextensions.k8s.io", "CustomResourceDefinition",
        """{"metadata":{"name":"widgets.example.com"}}""", """["widgets.example.com","0001-01-01T00:00:00Z"]""")]
    public void Default_table(string name, string group, string kind, string json, string expected) => Golden.Assert(name, group, kind, json, expected);
}
