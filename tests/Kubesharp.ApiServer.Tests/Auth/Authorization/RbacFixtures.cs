using System.Text.Json;
using k8s;
using k8s.Models;
using Kubesharp.Api.Auth;
using Kubesharp.ApiServer.Auth;
using Kubesharp.ApiServer.Auth.Authorization;

namespace Kubesharp.ApiServer.Tests.Auth.Authorization;

/// <summary>Builders for the RBAC objects, users and requests the authorization tests are made of.</summary>
internal static class RbacFixtures
{
    public static UserInfo User(string name, params string[] groups) => UserInfo.Create(name, groups);

    public static UserInfo ServiceAccountUser(string @namespace, string name) =>
        UserInfo.Create($"system:serviceaccount:{@namespace}:{name}", [UserInfo.ServiceAccounts, "system:serviceaccounts:" + @namespace, UserInfo.Authenticated]);

    public static UserInfo NodeUser(string node) => UserInfo.Create("system:node:" + node, [UserInfo.Nodes, UserInfo.Authenticated]);

    public static RequestAttributes Resource(
        UserInfo user, string verb, string resource, string ns = "", string name = "", string group = "", string subresource = "") =>
        new(user, verb, IsResourceRequest: true, ApiGroup: group, ApiVersion: "v1", Resource: resource, Subresource: subresource, Namespace: ns, Name: name);

    public static RequestAttributes NonResource(UserInfo user, string verb, string path) => new(user, verb, IsResourceRequest: false, Path: path);

    public static V1PolicyRule Rule(string[] verbs, string[] groups, string[] resources, string[]? names = null) =>
        new() { Verbs = verbs, ApiGroups = groups, Resources = resources, ResourceNames = names };

    public static V1PolicyRule UrlRule(string[] verbs, params string[] urls) => new() { Verbs = verbs, NonResourceURLs = urls };

    public static V1ClusterRole ClusterRole(string name, params V1PolicyRule[] rules) =>
        new() { Metadata = new V1ObjectMeta { Name = name }, Rules = rules.ToList() };

    public static V1Role Role(string ns, string name, params V1PolicyRule[] rules) =>
        new() { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns }, Rules = rules.ToList() };

    public static V1ClusterRoleBinding ClusterRoleBinding(string name, string clusterRole, params Rbacv1Subject[] subjects) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        RoleRef = new V1RoleRef { ApiGroup = RbacNames.ApiGroup, Kind = "ClusterRole", Name = clusterRole },
        Subjects = subjects.ToList(),
    };

    public static V1RoleBinding RoleBinding(string ns, string name, string roleKind, string roleName, params Rbacv1Subject[] subjects) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        RoleRef = new V1RoleRef { ApiGroup = RbacNames.ApiGroup, Kind = roleKind, Name = roleName },
        Subjects = subjects.ToList(),
    };

    public static Rbacv1Subject UserSubject(string name) => new() { Kind = "User", ApiGroup = RbacNames.ApiGroup, Name = name };

    public static Rbacv1Subject GroupSubject(string name) => new() { Kind = "Group", ApiGroup = RbacNames.ApiGroup, Name = name };

    public static Rbacv1Subject ServiceAccountSubject(string name, string? ns = null) => new() { Kind = "ServiceAccount", Name = name, NamespaceProperty = ns };

    /// <summary>The bootstrap policy (aggregated) plus the given objects.</summary>
    public static RbacSnapshot BootstrapWith(
        IEnumerable<V1Role>? roles = null,
        IEnumerable<V1ClusterRole>? clusterRoles = null,
        IEnumerable<V1RoleBinding>? roleBindings = null,
        IEnumerable<V1ClusterRoleBinding>? clusterRoleBindings = null) => new(
            [.. BootstrapPolicy.NamespaceRoles(), .. roles ?? []],
            ClusterRoleAggregation.AggregateAll([.. BootstrapPolicy.AllClusterRoles(), .. clusterRoles ?? []]),
            [.. BootstrapPolicy.NamespaceRoleBindings(), .. roleBindings ?? []],
            [.. BootstrapPolicy.AllClusterRoleBindings(), .. clusterRoleBindings ?? []]);

    public static JsonElement Json(object value) => JsonDocument.Parse(KubernetesJson.Serialize(value)).RootElement.Clone();

    public static V1Pod Pod(string ns, string name, string node, Action<V1PodSpec>? configure = null, IDictionary<string, string>? annotations = null)
    {
        var spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "c", Image = "busybox" }] };
        configure?.Invoke(spec);
        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Annotations = annotations },
            Spec = spec,
        };
    }
}
