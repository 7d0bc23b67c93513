using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kubesharp.Controllers.Common;
using Kubesharp.Controllers.Deployment;

namespace Kubesharp.Controllers.History;

/// <summary>
/// Upstream's <c>pkg/controller/history</c> helpers over ControllerRevisions, the snapshots of a DaemonSet's or
/// StatefulSet's pod template that make their rollout history.
/// <para>
/// A revision's <c>data</c> is the strategic merge patch that restores the template
/// (<c>{"spec":{"template":{..., "$patch":"replace"}}}</c>), as upstream writes it and as
/// <c>kubectl rollout history/undo</c> reads it. Upstream compares and hashes the raw bytes; we compare and
/// hash a canonical form of that JSON (keys sorted; nulls, empty objects and empty arrays dropped), since the
/// bytes we wrote come back re-serialised by the client. Equal templates give equal revisions and a stable
/// hash; names differ from upstream's for the same template.
/// </para>
/// </summary>
internal static class ControllerRevisions
{
    /// <summary>Upstream's <c>ControllerRevisionHashLabel</c>, on every revision a StatefulSet makes.</summary>
    public const string HashLabel = "controller.kubernetes.io/hash";

    /// <summary>The label on pods (and a DaemonSet's revisions) naming the revision they were made from.</summary>
    public const string PodRevisionLabel = "controller-revision-hash";

    /// <summary>The value of a label, or null.</summary>
    public static string? Label(IKubernetesObject<V1ObjectMeta> obj, string key) =>
        obj.Metadata?.Labels is { } labels && labels.TryGetValue(key, out var value) ? value : null;

    /// <summary>Upstream's <c>ControllerRevisionName</c>: the prefix is cut to 223 characters so that the name stays a valid subdomain.</summary>
    public static string Name(string prefix, string hash) => (prefix.Length > 223 ? prefix[..223] : prefix) + "-" + hash;

    /// <summary>Upstream's <c>getPatch</c> of both controllers: the template to restore, whole.</summary>
    public static JsonObject TemplatePatch(V1PodTemplateSpec? template)
    {
        var node = template is null ? new JsonObject() : JsonNode.Parse(KubernetesJson.Serialize(template))!.AsObject();
        node["$patch"] = "replace";
        return new JsonObject { ["spec"] = new JsonObject { ["template"] = node } };
    }

    /// <summary>The canonical text of a revision's data (or of any JSON value the client models hold).</summary>
    public static string Canonical(object? data)
    {
        if (data is null)
        {
            return "";
        }

        var node = data as JsonNode ?? JsonNode.Parse(KubernetesJson.Serialize(data));
        return CanonicalJson.Normalize(node)?.ToJsonString() ?? "";
    }

    /// <summary>
    /// Upstream's <c>HashControllerRevision</c>: FNV-32 (not 32a) over the data, then the collision count's decimal
    /// digits when there is one, written through <c>rand.SafeEncodeString</c>.
    /// </summary>
    public static string Hash(V1ControllerRevision revision, int? collisionCount)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(Canonical(revision.Data)))
        {
            hash = (hash * 16777619u) ^ b;
        }

        if (collisionCount is { } probe)
        {
            foreach (var b in Encoding.UTF8.GetBytes(probe.ToString(CultureInfo.InvariantCulture)))
            {
                hash = (hash * 16777619u) ^ b;
            }
        }

        return PodTemplateHash.SafeEncode(hash.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Upstream's <c>NewControllerRevision</c>: labelled with the template's labels and the hash, owned by
    /// <paramref name="parent"/>, named <c>&lt;parent&gt;-&lt;hash&gt;</c>.
    /// </summary>
    public static V1ControllerRevision New(IKubernetesObject<V1ObjectMeta> parent, string apiVersion, string kind, IDictionary<string, string>? templateLabels, JsonObject data, long revision, int? collisionCount)
    {
        var cr = new V1ControllerRevision
        {
            ApiVersion = "apps/v1",
            Kind = "ControllerRevision",
            Metadata = new V1ObjectMeta
            {
                NamespaceProperty = parent.Metadata.NamespaceProperty,
                Labels = templateLabels is null ? new Dictionary<string, string>() : new Dictionary<string, string>(templateLabels),
                OwnerReferences = [Objects.ControllerRef(parent, apiVersion, kind)],
            },
            Data = data,
            Revision = revision,
        };
        var hash = Hash(cr, collisionCount);
        cr.Metadata.Name = Name(parent.Metadata.Name, hash);
        cr.Metadata.Labels[HashLabel] = hash;
        return cr;
    }

    /// <summary>Upstream's <c>EqualRevision</c>: differing hash labels settle it; otherwise the data decides.</summary>
    public static bool Equal(V1ControllerRevision? a, V1ControllerRevision? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        if (a.Metadata.Labels?.TryGetValue(HashLabel, out var ha) == true && b.Metadata.Labels?.TryGetValue(HashLabel, out var hb) == true && ha != hb)
        {
            return false;
        }

        return Canonical(a.Data) == Canonical(b.Data);
    }

    /// <summary>Upstream's <c>FindEqualRevisions</c>, in the order given.</summary>
    public static List<V1ControllerRevision> FindEqual(IEnumerable<V1ControllerRevision> revisions, V1ControllerRevision needle) =>
        [.. revisions.Where(r => Equal(r, needle))];

    /// <summary>Upstream's <c>SortControllerRevisions</c>: by revision, then creation time, then name.</summary>
    public static void Sort(List<V1ControllerRevision> revisions) => revisions.Sort(Compare);

    public static int Compare(V1ControllerRevision a, V1ControllerRevision b)
    {
        var c = (a.Revision ?? 0).CompareTo(b.Revision ?? 0);
        if (c != 0)
        {
            return c;
        }

        var ta = a.Metadata.CreationTimestamp is { } x ? MetaTime.Utc(x) : DateTimeOffset.MinValue;
        var tb = b.Metadata.CreationTimestamp is { } y ? MetaTime.Utc(y) : DateTimeOffset.MinValue;
        c = ta.CompareTo(tb);
        return c != 0 ? c : string.CompareOrdinal(a.Metadata.Name, b.Metadata.Name);
    }

    /// <summary>Upstream's <c>nextRevision</c>/<c>maxRevision + 1</c>: one past the highest, 1 for none.</summary>
    public static long Next(IEnumerable<V1ControllerRevision> revisions) => revisions.Select(r => r.Revision ?? 0).DefaultIfEmpty(0).Max() + 1;
}
