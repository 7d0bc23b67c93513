using Kubesharp.Api.Printing;
using Kubesharp.Api.Resources;

namespace Kubesharp.Api.Tests.Resources;

/// <summary>The integrity of the built-in resource table, and the discovery facts kubectl relies on.</summary>
public sealed class BuiltinResourcesTests
{
    private static readonly IReadOnlyList<ResourceInfo> Rows = BuiltinResources.Table.All;

    [Fact]
    public void Every_group_version_and_plural_is_unique()
    {
        var duplicates = Rows.GroupBy(r => (r.Group, r.Version, r.Plural)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();

        Assert.True(duplicates.Count == 0, $"duplicate resources: {string.Join(", ", duplicates)}");
    }

    [Fact]
    public void Every_group_and_kind_is_unique()
    {
        var duplicates = Rows.GroupBy(r => (r.Group, r.Kind)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();

        Assert.True(duplicates.Count == 0, $"duplicate kinds: {string.Join(", ", duplicates)}");
    }

    [Fact]
    public void Every_row_has_known_verbs_including_get_and_list()
    {
        // bindings is create only upstream: the older form of pods/NAME/binding, which stores nothing of its own;
        // so are the reviews of authentication.k8s.io and authorization.k8s.io, computed and never stored.
        foreach (var r in Rows.Where(r => r.Plural != "bindings" && r.Group is not ("authentication.k8s.io" or "authorization.k8s.io")))
        {
            Assert.True(r.Verbs.Count > 0, $"{r.Plural}.{r.Group} has no verbs");
            Assert.True(r.Verbs.All(ResourceInfo.AllVerbs.Contains), $"{r.Plural}.{r.Group} has verbs outside the standard eight: {string.Join(",", r.Verbs)}");
            Assert.True(r.Supports("get") && r.Supports("list") && r.Supports("watch"), $"{r.Plural}.{r.Group} cannot be read");
        }
    }

    [Fact]
    public void Every_kind_in_category_all_is_namespaced()
    {
        var clusterScoped = Rows.Where(r => r.Categories.Contains("all") && !r.Namespaced).Select(r => r.Plural).ToList();

        Assert.True(clusterScoped.Count == 0, $"cluster-scoped kinds in category all: {string.Join(", ", clusterScoped)}");
    }

    [Fact]
    public void Category_all_holds_upstreams_workloads_and_services()
    {
        var all = Rows.Where(r => r.Categories.Contains("all")).Select(r => $"{r.Plural}.{r.Group}".TrimEnd('.')).Order(StringComparer.Ordinal);

        Assert.Equal(
            ["cronjobs.batch", "daemonsets.apps", "deployments.apps", "jobs.batch", "pods", "replicasets.apps", "replicationcontrollers", "services", "statefulsets.apps"],
            all);
    }

    [Fact]
    public void Every_row_has_a_printer_or_the_default()
    {
        var defaults = Rows.Where(r => r.Supports("list") && TablePrinter.UsesDefault(r)).Select(r => r.Plural).Order(StringComparer.Ordinal);

        // Upstream has no printer for these four; their tables are Name and Created At.
        Assert.Equal(["clusterroles", "customresourcedefinitions", "limitranges", "roles"], defaults);
        Assert.All(Rows, r => Assert.NotEmpty(TablePrinter.Columns(r)));
    }

    [Fact]
    public void Every_printer_belongs_to_a_row()
    {
        var orphans = TablePrinter.PrintedKinds.Where(k => BuiltinResources.Table.FindKind(k.Group, k.Kind) is null).ToList();

        Assert.True(orphans.Count == 0, $"printers for kinds the table does not serve: {string.Join(", ", orphans)}");
    }

    [Fact]
    public void Short_names_are_unique_but_for_events_which_upstream_serves_twice()
    {
        var shared = Rows.SelectMany(r => r.ShortNames.Select(s => (Short: s, r.Group)))
            .GroupBy(x => x.Short)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(",", g.Select(x => x.Group))}")
            .ToList();

        Assert.Equal(["ev: ,events.k8s.io"], shared);
    }

    [Fact]
    public void Bindings_are_create_only_as_upstream_serves_them()
    {
        var bindings = BuiltinResources.Table.Find("", "v1", "bindings");

        Assert.NotNull(bindings);
        Assert.Equal(("Binding", "binding", true), (bindings!.Kind, bindings.Singular, bindings.Namespaced));
        Assert.Equal(["create"], bindings.Verbs);
        Assert.Empty(bindings.Subresources);
    }

    [Fact]
    public void Pod_binding_and_eviction_are_create_only_with_upstreams_kinds()
    {
        var pods = BuiltinResources.Table.Find("", "v1", "pods")!;

        Assert.Equal(("", "v1", "Binding", "create"), Facts(pods.Subresource("binding")!));
        Assert.Equal(("policy", "v1", "Eviction", "create"), Facts(pods.Subresource("eviction")!));

        static (string, string, string, string) Facts(SubresourceInfo s) => (s.Group, s.Version, s.Kind, string.Join(",", s.Verbs));
    }

    [Fact]
    public void Scale_subresources_are_autoscaling_v1_Scale()
    {
        var scaled = Rows.Where(r => r.Subresource("scale") is not null).ToList();

        Assert.Equal(["replicationcontrollers", "deployments", "replicasets", "statefulsets"], scaled.Select(r => r.Plural));
        Assert.All(scaled, r => Assert.Equal(("autoscaling", "v1", "Scale"), (r.Subresource("scale")!.Group, r.Subresource("scale")!.Version, r.Subresource("scale")!.Kind)));
    }

    [Fact]
    public void Status_subresources_return_their_own_kind()
    {
        foreach (var r in Rows.Where(r => r.HasStatus))
        {
            var status = r.Subresource("status");
            Assert.True(status is not null, $"{r.Plural}.{r.Group} has status but no status subresource");
            Assert.Equal((r.Group, r.Version, r.Kind), (status!.Group, status.Version, status.Kind));
        }
    }

    /// <summary>What <c>kubectl api-resources -o wide</c> shows upstream, one kind per case.</summary>
    [Theory]
    [InlineData("", "namespaces", "Namespace", "ns", "", false, "status,finalize")]
    [InlineData("", "pods", "Pod", "po", "all", true, "status,attach,binding,eviction,exec,log")]
    [InlineData("", "nodes", "Node", "no", "", true, "status")]
    [InlineData("", "services", "Service", "svc", "all", true, "status")]
    [InlineData("", "endpoints", "Endpoints", "ep", "", true, "")]
    [InlineData("", "configmaps", "ConfigMap", "cm", "", true, "")]
    [InlineData("", "secrets", "Secret", "", "", true, "")]
    [InlineData("", "serviceaccounts", "ServiceAccount", "sa", "", true, "token")]
    [InlineData("", "events", "Event", "ev", "", true, "")]
    [InlineData("", "replicationcontrollers", "ReplicationController", "rc", "all", true, "status,scale")]
    [InlineData("", "limitranges", "LimitRange", "limits", "", true, "")]
    [InlineData("", "resourcequotas", "ResourceQuota", "quota", "", true, "status")]
    [InlineData("", "persistentvolumes", "PersistentVolume", "pv", "", true, "status")]
    [InlineData("", "persistentvolumeclaims", "PersistentVolumeClaim", "pvc", "", true, "status")]
    [InlineData("apps", "deployments", "Deployment", "deploy", "all", true, "status,scale")]
    [InlineData("apps", "replicasets", "ReplicaSet", "rs", "all", true, "status,scale")]
    [InlineData("apps", "statefulsets", "StatefulSet", "sts", "all", true, "status,scale")]
    [InlineData("apps", "daemonsets", "DaemonSet", "ds", "all", true, "status")]
    [InlineData("apps", "controllerrevisions", "ControllerRevision", "", "", true, "")]
    [InlineData("batch", "jobs", "Job", "", "all", true, "status")]
    [InlineData("batch", "cronjobs", "CronJob", "cj", "all", true, "status")]
    [InlineData("coordination.k8s.io", "leases", "Lease", "", "", true, "")]
    [InlineData("discovery.k8s.io", "endpointslices", "EndpointSlice", "", "", true, "")]
    [InlineData("events.k8s.io", "events", "Event", "ev", "", true, "")]
    [InlineData("policy", "poddisruptionbudgets", "PodDisruptionBudget", "pdb", "", true, "status")]
    [InlineData("scheduling.k8s.io", "priorityclasses", "PriorityClass", "pc", "", true, "")]
    [InlineData("rbac.authorization.k8s.io", "roles", "Role", "", "", true, "")]
    [InlineData("rbac.authorization.k8s.io", "rolebindings", "RoleBinding", "", "", true, "")]
    [InlineData("rbac.authorization.k8s.io", "clusterroles", "ClusterRole", "", "", true, "")]
    [InlineData("rbac.authorization.k8s.io", "clusterrolebindings", "ClusterRoleBinding", "", "", true, "")]
    [InlineData("apiextensions.k8s.io", "customresourcedefinitions", "CustomResourceDefinition", "crd,crds", "api-extensions", true, "status")]
    public void Discovery_facts(string group, string plural, string kind, string shortNames, string categories, bool deleteCollection, string subresources)
    {
        var r = BuiltinResources.Table.Find(group, "v1", plural);

        Assert.True(r is not null, $"{plural}.{group} is not served");
        Assert.Equal(kind, r!.Kind);
        Assert.Equal(shortNames, string.Join(",", r.ShortNames));
        Assert.Equal(categories, string.Join(",", r.Categories));
        Assert.True(deleteCollection == r.Supports("deletecollection"), $"{plural}.{group}: deletecollection should be {deleteCollection}");
        Assert.Equal(subresources, string.Join(",", r.Subresources.Select(s => s.Name)));
        Assert.Equal(kind.ToLowerInvariant(), r.Singular);
    }

    [Theory]
    [InlineData("", "pods", "spec.nodeName,spec.restartPolicy,spec.schedulerName,spec.serviceAccountName,spec.hostNetwork,status.phase,status.podIP,status.podIPs,status.nominatedNodeName")]
    [InlineData("", "namespaces", "status.phase")]
    [InlineData("", "services", "spec.clusterIP,spec.type")]
    [InlineData("", "secrets", "type")]
    [InlineData("", "nodes", "spec.unschedulable")]
    [InlineData("", "replicationcontrollers", "status.replicas")]
    [InlineData("batch", "jobs", "status.successful")]
    [InlineData("apps", "deployments", "")]
    [InlineData("events.k8s.io", "events", "reason,regarding.kind,regarding.namespace,regarding.name,regarding.uid,regarding.apiVersion,regarding.resourceVersion,regarding.fieldPath,reportingController,type")]
    public void Field_selectors(string group, string plural, string expected)
    {
        Assert.Equal(expected, string.Join(",", BuiltinResources.Table.Find(group, "v1", plural)!.FieldSelectors));
    }
}
