using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using Kubesharp.Api.Resources;

namespace Kubesharp.Api.Printing;

/// <summary>
/// Server-side printing for <c>meta.k8s.io/v1 Table</c> responses, as upstream v1.32's
/// <c>pkg/printers/internalversion</c> does it: per kind, the column definitions and, per object, the
/// cells kubectl prints verbatim.
/// <para>
/// Contract. <see cref="Cells"/> returns exactly one cell per column of <see cref="Columns"/> for the
/// same kind, in the same order, each a <see cref="string"/>, <see cref="long"/> or <see cref="bool"/>
/// (serialise them as JSON strings, numbers and booleans). Wide columns (priority 1) always get their
/// cells, as upstream's server always prints wide and lets kubectl hide them. The object is read as
/// stored (already defaulted); a missing field, or one of the wrong JSON type, reads as Go's zero value,
/// so no object shape makes these methods throw. Time comes only from <c>now</c>. Kinds without a
/// specific printer (roles, cluster roles, limit ranges, CRDs, and any kind this class does not know)
/// get upstream's default table: <c>Name</c> and <c>Created At</c>. Stateless and thread-safe.
/// </para>
/// </summary>
public static class TablePrinter
{
    private static readonly FrozenDictionary<(string Group, string Kind), KindPrinter> Printers =
        KindPrinters.All().ToFrozenDictionary(p => (p.Group, p.Kind));

    /// <summary>Upstream's <c>rest.NewDefaultTableConvertor</c> columns.</summary>
    private static readonly PrinterColumn[] DefaultColumns =
    [
        Col.Name,
        new("Created At", "date", "", "Time the object was created (metadata.creationTimestamp), RFC 3339 in UTC.", 0),
    ];

    /// <summary>The column definitions of <paramref name="resource"/>'s kind, in cell order.</summary>
    public static IReadOnlyList<PrinterColumn> Columns(ResourceInfo resource) =>
        Printers.TryGetValue((resource.Group, resource.Kind), out var p) ? p.Columns : DefaultColumns;

    /// <summary>The cells of one object of <paramref name="resource"/>'s kind; ages are measured against <paramref name="now"/>.</summary>
    public static IReadOnlyList<object> Cells(ResourceInfo resource, JsonElement obj, DateTimeOffset now) =>
        Printers.TryGetValue((resource.Group, resource.Kind), out var p) ? p.Cells(obj, now) : DefaultCells(obj);

    /// <summary>True when the kind falls back to the default Name + Created At table.</summary>
    internal static bool UsesDefault(ResourceInfo resource) => !Printers.ContainsKey((resource.Group, resource.Kind));

    internal static IEnumerable<(string Group, string Kind)> PrintedKinds => Printers.Keys;

    private static object[] DefaultCells(JsonElement obj)
    {
        // Upstream formats creationTimestamp.UTC() with RFC 3339 (no fraction); a missing one is Go's zero time.
        var created = obj.Time("metadata", "creationTimestamp")?.UtcDateTime ?? DateTime.MinValue;
        return [CellFormat.Name(obj), created.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", CultureInfo.InvariantCulture)];
    }
}

/// <summary>Every specific printer, one per (group, kind).</summary>
internal static partial class KindPrinters
{
    public static IEnumerable<KindPrinter> All() =>
    [
        Pod(),
        Namespace(),
        Node(),
        Service(),
        Endpoints(),
        ConfigMap(),
        Secret(),
        ServiceAccount(),
        CoreEvent(),
        EventsEvent(),
        ReplicationController(),
        ResourceQuota(),
        PersistentVolume(),
        PersistentVolumeClaim(),
        Deployment(),
        ReplicaSet(),
        StatefulSet(),
        DaemonSet(),
        ControllerRevision(),
        Job(),
        CronJob(),
        Lease(),
        EndpointSlice(),
        PodDisruptionBudget(),
        PriorityClass(),
        CertificateSigningRequest(),
        RoleBinding(),
        ClusterRoleBinding(),
    ];
}
