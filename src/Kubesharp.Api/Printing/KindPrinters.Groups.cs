using System.Text.Json;

namespace Kubesharp.Api.Printing;

// coordination.k8s.io, discovery.k8s.io, policy, scheduling.k8s.io and rbac.authorization.k8s.io.
// Roles, cluster roles and CRDs have no printer upstream and get the default table.
internal static partial class KindPrinters
{
    private static KindPrinter Lease() => new("coordination.k8s.io", "Lease",
        [Col.Name, Col.Str("Holder", "The current holder of the lease."), Col.Age],
        (o, now) => [CellFormat.Name(o), o.Str("spec", "holderIdentity"), CellFormat.Age(o, now)]);

    private static KindPrinter EndpointSlice() => new("discovery.k8s.io", "EndpointSlice",
    [
        Col.Name,
        Col.Str("AddressType", "IPv4, IPv6 or FQDN."),
        Col.Str("Ports", "Up to three ports, and how many more there are."),
        Col.Str("Endpoints", "Up to three addresses, and how many more there are."),
        Col.Age,
    ], (o, now) =>
    [
        CellFormat.Name(o),
        o.Str("addressType"),
        // A port without a number prints its name, and one without either prints as "*".
        CellFormat.FirstThree([.. o.Items("ports").Select(p => p.IntOrNull("port") is { } n ? CellFormat.Int(n) : p.StrOrNull("name") ?? "*")]),
        CellFormat.FirstThree([.. o.Items("endpoints").SelectMany(e => e.Items("addresses")).Select(a => a.ValueKind == JsonValueKind.String ? a.GetString()! : "")]),
        CellFormat.Age(o, now),
    ]);

    private static KindPrinter PodDisruptionBudget() => new("policy", "PodDisruptionBudget",
    [
        Col.Name,
        Col.Str("Min Available", "Pods that must stay available, as a number or a percentage."),
        Col.Str("Max Unavailable", "Pods that may be unavailable, as a number or a percentage."),
        Col.Integer("Allowed Disruptions", "Pods that may be disrupted now."),
        Col.Age,
    ], (o, now) =>
    [
        CellFormat.Name(o),
        o.At("spec", "minAvailable") is { } min ? CellFormat.IntOrString(min) : "N/A",
        o.At("spec", "maxUnavailable") is { } max ? CellFormat.IntOrString(max) : "N/A",
        o.Int("status", "disruptionsAllowed"),
        CellFormat.Age(o, now),
    ]);

    private static KindPrinter PriorityClass() => new("scheduling.k8s.io", "PriorityClass",
    [
        Col.Name,
        Col.Integer("Value", "The priority of pods of this class."),
        Col.Boolean("Global-Default", "Whether pods without a class get this one."),
        Col.Age,
        // Priority 0 upstream, although the cell is only filled in wide output (which the server always makes).
        Col.Str("PreemptionPolicy", "Whether pods of this class may preempt others."),
    ], (o, now) => [CellFormat.Name(o), o.Int("value"), o.Bool("globalDefault"), CellFormat.Age(o, now), o.Str("preemptionPolicy")]);

    private static KindPrinter CertificateSigningRequest() => new("certificates.k8s.io", "CertificateSigningRequest",
    [
        Col.Name,
        Col.Age,
        Col.Str("SignerName", "The signer the request asks for."),
        Col.Str("Requestor", "The user who made the request."),
        Col.Str("RequestedDuration", "The validity the request asks for."),
        Col.Str("Condition", "Approved, Denied or Pending, and Failed or Issued."),
    ], (o, now) =>
    [
        CellFormat.Name(o), CellFormat.Age(o, now), o.Str("spec", "signerName"), o.Str("spec", "username"),
        o.IntOrNull("spec", "expirationSeconds") is { } seconds ? DurationFormat.HumanDuration(TimeSpan.FromSeconds(seconds)) : "<none>",
        CsrCondition(o),
    ]);

    // Upstream's extractCSRStatus: the decision (Denied over Approved, else Pending), then Failed, then Issued.
    private static string CsrCondition(System.Text.Json.JsonElement o)
    {
        var types = o.Items("status", "conditions").Select(c => c.Str("type")).ToHashSet(StringComparer.Ordinal);
        var status = types.Contains("Denied") ? "Denied" : types.Contains("Approved") ? "Approved" : "Pending";
        if (types.Contains("Failed"))
        {
            status += ",Failed";
        }

        if (o.Str("status", "certificate").Length > 0)
        {
            status += ",Issued";
        }

        return status;
    }

    private static KindPrinter RoleBinding() => Binding("RoleBinding");

    private static KindPrinter ClusterRoleBinding() => Binding("ClusterRoleBinding");

    private static KindPrinter Binding(string kind) => new("rbac.authorization.k8s.io", kind,
    [
        Col.Name,
        Col.Str("Role", "The bound role, as kind/name."),
        Col.Age,
        Col.Wide("Users", "Users the binding grants the role to."),
        Col.Wide("Groups", "Groups the binding grants the role to."),
        Col.Wide("ServiceAccounts", "Service accounts the binding grants the role to, as namespace/name."),
    ], (o, now) =>
    {
        var subjects = o.Items("subjects");
        string Join(string subjectKind, Func<JsonElement, string> format) =>
            string.Join(", ", subjects.Where(s => s.Str("kind") == subjectKind).Select(format));

        return
        [
            CellFormat.Name(o),
            $"{o.Str("roleRef", "kind")}/{o.Str("roleRef", "name")}",
            CellFormat.Age(o, now),
            Join("User", s => s.Str("name")),
            Join("Group", s => s.Str("name")),
            Join("ServiceAccount", s => $"{s.Str("namespace")}/{s.Str("name")}"),
        ];
    });
}
