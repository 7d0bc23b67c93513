using System.Text.Json;
using Kubesharp.Api.Printing;
using Kubesharp.Api.Resources;

namespace Kubesharp.Api.Tests.Printing;

/// <summary>The column sets per kind, and the contract every printer keeps whatever the object looks like.</summary>
public sealed class TablePrinterTests
{
    /// <summary>
    /// Columns as <c>Name[:type][/format][ (wide)]</c>; the type is shown when it is not <c>string</c>.
    /// Names and types are upstream's: kubectl upper-cases the names, and the types are kept even where
    /// the cells disagree (Data is declared string, its cells are integers).
    /// </summary>
    [Theory]
    [InlineData("", "Pod", "Name/name, Ready, Status, Restarts, Age, IP (wide), Node (wide), Nominated Node (wide), Readiness Gates (wide)")]
    [InlineData("", "Namespace", "Name/name, Status, Age")]
    [InlineData("", "Node", "Name/name, Status, Roles, Age, Version, Internal-IP (wide), External-IP (wide), OS-Image (wide), Kernel-Version (wide), Container-Runtime (wide)")]
    [InlineData("", "Service", "Name/name, Type, Cluster-IP, External-IP, Port(s), Age, Selector (wide)")]
    [InlineData("", "Endpoints", "Name/name, Endpoints, Age")]
    [InlineData("", "ConfigMap", "Name/name, Data, Age")]
    [InlineData("", "Secret", "Name/name, Type, Data, Age")]
    [InlineData("", "ServiceAccount", "Name/name, Secrets, Age")]
    [InlineData("", "Event", "Last Seen, Type, Reason, Object, Subobject (wide), Source (wide), Message, First Seen (wide), Count (wide), Name/name (wide)")]
    [InlineData("events.k8s.io", "Event", "Last Seen, Type, Reason, Object, Subobject (wide), Source (wide), Message, First Seen (wide), Count (wide), Name/name (wide)")]
    [InlineData("", "ReplicationController", "Name/name, Desired:integer, Current:integer, Ready:integer, Age, Containers (wide), Images (wide), Selector (wide)")]
    [InlineData("", "LimitRange", "Name/name, Created At:date")]
    [InlineData("", "ResourceQuota", "Name/name, Request, Limit, Age")]
    [InlineData("", "PersistentVolume", "Name/name, Capacity, Access Modes, Reclaim Policy, Status, Claim, StorageClass, VolumeAttributesClass, Reason, Age, VolumeMode (wide)")]
    [InlineData("", "PersistentVolumeClaim", "Name/name, Status, Volume, Capacity, Access Modes, StorageClass, VolumeAttributesClass, Age, VolumeMode (wide)")]
    [InlineData("apps", "Deployment", "Name/name, Ready, Up-to-date, Available, Age, Containers (wide), Images (wide), Selector (wide)")]
    [InlineData("apps", "ReplicaSet", "Name/name, Desired:integer, Current:integer, Ready:integer, Age, Containers (wide), Images (wide), Selector (wide)")]
    [InlineData("apps", "StatefulSet", "Name/name, Ready, Age, Containers (wide), Images (wide)")]
    [InlineData("apps", "DaemonSet", "Name/name, Desired:integer, Current:integer, Ready:integer, Up-to-date:integer, Available:integer, Node Selector, Age, Containers (wide), Images (wide), Selector (wide)")]
    [InlineData("apps", "ControllerRevision", "Name/name, Controller, Revision, Age")]
    [InlineData("batch", "Job", "Name/name, Status, Completions, Duration, Age, Containers (wide), Images (wide), Selector (wide)")]
    [InlineData("batch", "CronJob", "Name/name, Schedule, Timezone, Suspend:boolean, Active:integer, Last Schedule, Age, Containers (wide), Images (wide), Selector (wide)")]
    [InlineData("coordination.k8s.io", "Lease", "Name/name, Holder, Age")]
    [InlineData("discovery.k8s.io", "EndpointSlice", "Name/name, AddressType, Ports, Endpoints, Age")]
    [InlineData("policy", "PodDisruptionBudget", "Name/name, Min Available, Max Unavailable, Allowed Disruptions:integer, Age")]
    [InlineData("scheduling.k8s.io", "PriorityClass", "Name/name, Value:integer, Global-Default:boolean, Age, PreemptionPolicy")]
    [InlineData("rbac.authorization.k8s.io", "Role", "Name/name, Created At:date")]
    [InlineData("rbac.authorization.k8s.io", "ClusterRole", "Name/name, Created At:date")]
    [InlineData("rbac.authorization.k8s.io", "RoleBinding", "Name/name, Role, Age, Users (wide), Groups (wide), ServiceAccounts (wide)")]
    [InlineData("rbac.authorization.k8s.io", "ClusterRoleBinding", "Name/name, Role, Age, Users (wide), Groups (wide), ServiceAccounts (wide)")]
    [InlineData("apiextensions.k8s.io", "CustomResourceDefinition", "Name/name, Created At:date")]
    public void Columns_are_upstreams(string group, string kind, string expected)
    {
        var columns = TablePrinter.Columns(Golden.Resource(group, kind)).Select(c =>
            c.Name + (c.Type == "string" ? "" : ":" + c.Type) + (c.Format.Length > 0 ? "/" + c.Format : "") + (c.Priority > 0 ? " (wide)" : ""));

        Assert.Equal(expected, string.Join(", ", columns));
    }

    public static TheoryData<string> Shapes => new()
    {
        "{}",
        """{"metadata":"x","spec":[1],"status":5,"data":"x","subsets":{},"involvedObject":7,"regarding":"x","series":[]}""",
        """{"spec":{"containers":"x","initContainers":[1,null],"selector":{"matchLabels":[],"matchExpressions":[{"values":[1]}]},"ports":[null,{"port":"80"}],"template":7},"status":{"conditions":[null,3],"containerStatuses":[{"state":"x","lastState":{"terminated":[]}}]}}""",
    };

    /// <summary>Every kind, on an empty object and on objects of the wrong shape: one cell per column, each a JSON primitive, no exception.</summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_kind_prints_any_object_shape(string json)
    {
        using var doc = JsonDocument.Parse(json);
        foreach (var resource in BuiltinResources.Table.All)
        {
            var columns = TablePrinter.Columns(resource);
            var cells = TablePrinter.Cells(resource, doc.RootElement, Golden.Now);

            Assert.True(columns.Count == cells.Count, $"{resource.Plural}.{resource.Group}: {columns.Count} columns but {cells.Count} cells");
            Assert.All(cells, c => Assert.True(c is string or long or bool, $"{resource.Plural}.{resource.Group}: cell {c} is a {c.GetType().Name}"));
        }
    }

    [Fact]
    public void Every_column_set_has_one_name_column_and_known_types()
    {
        string[] types = ["string", "integer", "number", "boolean", "date"];
        foreach (var resource in BuiltinResources.Table.All)
        {
            var columns = TablePrinter.Columns(resource);

            Assert.True(columns.Count(c => c.Format == "name") == 1, $"{resource.Plural}.{resource.Group} needs exactly one name column");
            Assert.All(columns, c => Assert.True(types.Contains(c.Type), $"{resource.Plural}.{resource.Group}: column {c.Name} has type {c.Type}"));
            Assert.All(columns, c => Assert.False(string.IsNullOrWhiteSpace(c.Description), $"{resource.Plural}.{resource.Group}: column {c.Name} has no description"));
        }
    }

    [Fact]
    public void A_kind_the_printer_does_not_know_gets_the_default_table()
    {
        var widget = new ResourceInfo("example.com", "v1", "Widget", "widgets", "widget", ResourceScope.Namespaced,
            ResourceInfo.AllVerbs, [], [], [], [], false);
        using var doc = JsonDocument.Parse("""{"metadata":{"name":"w","creationTimestamp":"2025-06-01T11:55:00Z"}}""");

        Assert.Equal(["Name", "Created At"], TablePrinter.Columns(widget).Select(c => c.Name));
        Assert.Equal(["w", "2025-06-01T11:55:00Z"], TablePrinter.Cells(widget, doc.RootElement, Golden.Now));
    }

    [Fact]
    public void Ages_follow_the_injected_clock()
    {
        var pods = Golden.Resource("", "Namespace");
        using var doc = JsonDocument.Parse("""{"metadata":{"name":"ns","creationTimestamp":"2025-06-01T11:55:00Z"}}""");

        Assert.Equal("5m", TablePrinter.Cells(pods, doc.RootElement, Golden.Now)[2]);
        Assert.Equal("2d3h", TablePrinter.Cells(pods, doc.RootElement, Golden.Now.AddDays(2).AddHours(3))[2]);
        Assert.Equal("<invalid>", TablePrinter.Cells(pods, doc.RootElement, Golden.Now.AddMinutes(-10))[2]);
    }
}
