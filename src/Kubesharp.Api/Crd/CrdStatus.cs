using System.Globalization;
using System.Text.Json.Nodes;

namespace Kubesharp.Api.Crd;

/// <summary>
/// The server's side of a CRD's life, as upstream's apiextensions-apiserver does it: v1 defaulting, the status a
/// new CRD starts with, the naming controller's accepted names and <c>NamesAccepted</c> condition, the
/// establishing controller's <c>Established</c> condition, and the <c>Terminating</c> condition of deletion. All on
/// the CRD's JSON, in place. Stateless and thread-safe.
/// </summary>
public static class CrdStatus
{
    public const string NamesAccepted = "NamesAccepted";
    public const string Established = "Established";
    public const string Terminating = "Terminating";

    /// <summary>Upstream's v1 defaults: singular and listKind from kind, conversion strategy None, a webhook service's port 443.</summary>
    public static void ApplyDefaults(JsonObject crd)
    {
        if (crd["spec"] is not JsonObject spec)
        {
            return;
        }

        if (spec["names"] is JsonObject names && names["kind"] is JsonValue kindNode && kindNode.TryGetValue<string>(out var kind))
        {
            if (names["singular"] is null || names["singular"] is JsonValue s && s.TryGetValue<string>(out var singular) && singular.Length == 0)
            {
                names["singular"] = kind.ToLowerInvariant();
            }

            if (kind.Length > 0 && (names["listKind"] is null || names["listKind"] is JsonValue l && l.TryGetValue<string>(out var listKind) && listKind.Length == 0))
            {
                names["listKind"] = kind + "List";
            }
        }

        if (spec["conversion"] is null)
        {
            spec["conversion"] = new JsonObject { ["strategy"] = "None" };
        }
        else if (spec["conversion"]?["webhook"]?["clientConfig"]?["service"] is JsonObject service && service["port"] is null)
        {
            service["port"] = 443;
        }
    }

    /// <summary>
    /// A new CRD's status, as upstream's strategy resets it: nothing accepted yet, the storage version stored.
    /// </summary>
    public static void ResetForCreate(JsonObject crd)
    {
        var stored = new JsonArray();
        if (StorageVersionName(crd) is { } storage)
        {
            stored.Add(storage);
        }

        crd["status"] = new JsonObject
        {
            ["acceptedNames"] = new JsonObject { ["plural"] = "", ["kind"] = "" },
            ["storedVersions"] = stored,
        };
    }

    /// <summary>On update the storage version joins <c>status.storedVersions</c> when it is not there yet.</summary>
    public static void AddStorageVersion(JsonObject crd)
    {
        if (StorageVersionName(crd) is not { } storage)
        {
            return;
        }

        var status = crd["status"] as JsonObject ?? new JsonObject();
        crd["status"] = status;
        var stored = status["storedVersions"] as JsonArray ?? new JsonArray();
        status["storedVersions"] = stored;
        if (!stored.Any(v => v?.GetValue<string>() == storage))
        {
            stored.Add(storage);
        }
    }

    private static string? StorageVersionName(JsonObject crd) =>
        (crd["spec"]?["versions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(v => v["storage"] is JsonValue s && s.TryGetValue<bool>(out var b) && b)?["name"]?.GetValue<string>();

    /// <summary>
    /// Upstream's <c>SetCRDCondition</c>: adds or replaces the condition of its type; the transition time moves
    /// only when the status changes.
    /// </summary>
    public static void SetCondition(JsonObject crd, string type, string status, string reason, string message, DateTimeOffset now)
    {
        var statusObj = crd["status"] as JsonObject ?? new JsonObject();
        crd["status"] = statusObj;
        var conditions = statusObj["conditions"] as JsonArray ?? new JsonArray();
        statusObj["conditions"] = conditions;
        var time = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var existing = conditions.OfType<JsonObject>().FirstOrDefault(c => c["type"]?.GetValue<string>() == type);
        if (existing is null)
        {
            conditions.Add(new JsonObject { ["type"] = type, ["status"] = status, ["lastTransitionTime"] = time, ["reason"] = reason, ["message"] = message });
            return;
        }

        if (existing["status"]?.GetValue<string>() != status || existing["lastTransitionTime"] is null)
        {
            existing["lastTransitionTime"] = time;
        }

        existing["status"] = status;
        existing["reason"] = reason;
        existing["message"] = message;
    }

    /// <summary>What the naming controller decides for one CRD.</summary>
    /// <param name="Accepted">The names to put in <c>status.acceptedNames</c>.</param>
    public sealed record Naming(CrdNames Accepted, string Status, string Reason, string Message, CrdCondition Established);

    /// <summary>
    /// Upstream's <c>calculateNamesAndConditions</c>: each requested name is accepted unless another CRD of the
    /// group already accepted it (plural, singular and short names share one set, kind and listKind another); a
    /// name a CRD has accepted before stays its own. <paramref name="group"/> is every CRD of the same group as
    /// the cluster knows them, <paramref name="crd"/> included.
    /// </summary>
    public static Naming CalculateNames(CrdObject crd, IEnumerable<CrdObject> group)
    {
        var resources = new HashSet<string>(StringComparer.Ordinal);
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var other in group.Where(o => o.Group == crd.Group))
        {
            resources.Add(other.AcceptedNames.Plural);
            resources.Add(other.AcceptedNames.Singular);
            resources.UnionWith(other.AcceptedNames.ShortNames);
            kinds.Add(other.AcceptedNames.Kind);
            kinds.Add(other.AcceptedNames.ListKind);
        }

        var requested = crd.Names;
        var accepted = crd.AcceptedNames;
        var (status, reason, message) = ("Unknown", "", "");
        string plural = accepted.Plural, singular = accepted.Singular, kind = accepted.Kind, listKind = accepted.ListKind;
        var shortNames = accepted.ShortNames;
        if (Conflict(requested.Plural, accepted.Plural, resources) is { } p)
        {
            (status, reason, message) = ("False", "PluralConflict", p);
        }
        else
        {
            plural = requested.Plural;
        }

        if (Conflict(requested.Singular, accepted.Singular, resources) is { } s)
        {
            (status, reason, message) = ("False", "SingularConflict", s);
        }
        else
        {
            singular = requested.Singular;
        }

        if (!requested.ShortNames.SequenceEqual(accepted.ShortNames))
        {
            var problems = requested.ShortNames.Where(n => !accepted.ShortNames.Contains(n)).Select(n => Conflict(n, "", resources)).OfType<string>().ToList();
            if (problems.Count > 0)
            {
                (status, reason, message) = ("False", "ShortNamesConflict", Selectors.GoText.Aggregate(problems));
            }
            else
            {
                shortNames = requested.ShortNames;
            }
        }

        if (Conflict(requested.Kind, accepted.Kind, kinds) is { } k)
        {
            (status, reason, message) = ("False", "KindConflict", k);
        }
        else
        {
            kind = requested.Kind;
        }

        if (Conflict(requested.ListKind, accepted.ListKind, kinds) is { } l)
        {
            (status, reason, message) = ("False", "ListKindConflict", l);
        }
        else
        {
            listKind = requested.ListKind;
        }

        if (status == "Unknown")
        {
            (status, reason, message) = ("True", "NoConflicts", "no conflicts found");
        }

        // Established stays False ("NotAccepted") until the names are accepted, then "Installing" until the
        // server serves the kind, and only the establishing step makes it True.
        var established = crd.Condition(Established) ?? new CrdCondition(Established, "False", null, "NotAccepted", "not all names are accepted");
        if (established.Status != "True" && status == "True")
        {
            established = new CrdCondition(Established, "False", null, "Installing", "the initial names have been accepted");
        }

        return new Naming(new CrdNames(plural, singular, kind, listKind, shortNames, requested.Categories), status, reason, message, established);
    }

    private static string? Conflict(string requested, string accepted, HashSet<string> used) =>
        requested == accepted || !used.Contains(requested) ? null : $"{GoValue.Quote(requested)} is already in use";
}
