using System.Text.Json;
using Kubesharp.Api.Resources;

namespace Kubesharp.ApiServer.Discovery;

/// <summary>
/// The discovery documents, in both forms kubectl understands (notes/KUBECTL.md 2.2): legacy
/// (<c>APIVersions</c>, <c>APIGroupList</c>, <c>APIGroup</c>, <c>APIResourceList</c>) and aggregated
/// (<c>apidiscovery.k8s.io/v2 APIGroupDiscoveryList</c>). Built on each request from the resource table as it is then,
/// so that custom resources appear and disappear with their CRDs.
/// </summary>
internal sealed class DiscoveryDocuments
{
    public const string AggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

    private readonly ResourceTable _table;

    public DiscoveryDocuments(ResourceTable table)
    {
        _table = table;
    }

    /// <summary>The named groups with their versions, preferred first.</summary>
    public IReadOnlyList<(string Name, IReadOnlyList<string> Versions)> Groups =>
        [.. _table.GroupVersions().Where(gv => gv.Group.Length > 0).GroupBy(gv => gv.Group).Select(g => (g.Key, (IReadOnlyList<string>)[.. g.Select(x => x.Version)]))];

    /// <summary>True when the Accept header asks for the aggregated v2 form.</summary>
    public static bool WantsAggregated(string? accept) =>
        accept is not null && accept.Contains("as=APIGroupDiscoveryList", StringComparison.Ordinal) && accept.Contains("v=v2", StringComparison.Ordinal)
        && accept.Contains("g=apidiscovery.k8s.io", StringComparison.Ordinal);

    public static byte[] ApiVersions(string serverAddress) => Write(w =>
    {
        w.WriteString("kind", "APIVersions");
        w.WriteStartArray("versions");
        w.WriteStringValue("v1");
        w.WriteEndArray();
        w.WriteStartArray("serverAddressByClientCIDRs");
        w.WriteStartObject();
        w.WriteString("clientCIDR", "0.0.0.0/0");
        w.WriteString("serverAddress", serverAddress);
        w.WriteEndObject();
        w.WriteEndArray();
    });

    public byte[] ApiGroupList() => Write(w =>
    {
        w.WriteString("kind", "APIGroupList");
        w.WriteString("apiVersion", "v1");
        w.WriteStartArray("groups");
        foreach (var (name, versions) in Groups)
        {
            w.WriteStartObject();
            WriteGroupBody(w, name, versions);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    public byte[]? ApiGroup(string group)
    {
        var match = Groups.FirstOrDefault(g => g.Name == group);
        return match.Name is null ? null : Write(w =>
        {
            w.WriteString("kind", "APIGroup");
            w.WriteString("apiVersion", "v1");
            WriteGroupBody(w, match.Name, match.Versions);
        });
    }

    public byte[] ApiResourceList(string group, string version) => Write(w =>
    {
        w.WriteString("kind", "APIResourceList");
        w.WriteString("apiVersion", "v1");
        w.WriteString("groupVersion", group.Length == 0 ? version : $"{group}/{version}");
        w.WriteStartArray("resources");
        foreach (var r in _table.All.Where(r => r.Group == group && r.Version == version))
        {
            w.WriteStartObject();
            w.WriteString("name", r.Plural);
            w.WriteString("singularName", r.Singular);
            w.WriteBoolean("namespaced", r.Namespaced);
            w.WriteString("kind", r.Kind);
            Strings(w, "verbs", r.Verbs);
            if (r.ShortNames.Count > 0)
            {
                Strings(w, "shortNames", r.ShortNames);
            }

            if (r.Categories.Count > 0)
            {
                Strings(w, "categories", r.Categories);
            }

            w.WriteEndObject();
            foreach (var s in r.Subresources)
            {
                w.WriteStartObject();
                w.WriteString("name", $"{r.Plural}/{s.Name}");
                w.WriteString("singularName", "");
                w.WriteBoolean("namespaced", r.Namespaced);
                if (s.Group != r.Group || s.Version != r.Version)
                {
                    w.WriteString("group", s.Group);
                    w.WriteString("version", s.Version);
                }

                w.WriteString("kind", s.Kind);
                Strings(w, "verbs", s.Verbs);
                w.WriteEndObject();
            }
        }

        w.WriteEndArray();
    });

    /// <summary>The aggregated document of <c>/api</c> (core only) or <c>/apis</c> (every named group).</summary>
    public byte[] Aggregated(bool core) => Write(w =>
    {
        w.WriteString("kind", "APIGroupDiscoveryList");
        w.WriteString("apiVersion", "apidiscovery.k8s.io/v2");
        w.WriteStartObject("metadata");
        w.WriteEndObject();
        w.WriteStartArray("items");
        var groups = core ? [("", (IReadOnlyList<string>)["v1"])] : Groups;
        foreach (var (name, versions) in groups)
        {
            w.WriteStartObject();
            w.WriteStartObject("metadata");
            w.WriteString("name", name);
            w.WriteEndObject();
            w.WriteStartArray("versions");
            foreach (var version in versions)
            {
                w.WriteStartObject();
                w.WriteString("version", version);
                w.WriteStartArray("resources");
                foreach (var r in _table.All.Where(r => r.Group == name && r.Version == version))
                {
                    w.WriteStartObject();
                    w.WriteString("resource", r.Plural);
                    Kind(w, r.Group, r.Version, r.Kind);
                    w.WriteString("scope", r.Namespaced ? "Namespaced" : "Cluster");
                    w.WriteString("singularResource", r.Singular);
                    Strings(w, "verbs", r.Verbs);
                    if (r.ShortNames.Count > 0)
                    {
                        Strings(w, "shortNames", r.ShortNames);
                    }

                    if (r.Categories.Count > 0)
                    {
                        Strings(w, "categories", r.Categories);
                    }

                    if (r.Subresources.Count > 0)
                    {
                        w.WriteStartArray("subresources");
                        foreach (var s in r.Subresources)
                        {
                            w.WriteStartObject();
                            w.WriteString("subresource", s.Name);
                            Kind(w, s.Group, s.Version, s.Kind);
                            Strings(w, "verbs", s.Verbs);
                            w.WriteEndObject();
                        }

                        w.WriteEndArray();
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteString("freshness", "Current");
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    private static void WriteGroupBody(Utf8JsonWriter w, string name, IReadOnlyList<string> versions)
    {
        w.WriteString("name", name);
        w.WriteStartArray("versions");
        foreach (var v in versions)
        {
            GroupVersion(w, name, v);
        }

        w.WriteEndArray();
        w.WritePropertyName("preferredVersion");
        GroupVersion(w, name, versions[0]);
    }

    private static void GroupVersion(Utf8JsonWriter w, string group, string version)
    {
        w.WriteStartObject();
        w.WriteString("groupVersion", $"{group}/{version}");
        w.WriteString("version", version);
        w.WriteEndObject();
    }

    private static void Kind(Utf8JsonWriter w, string group, string version, string kind)
    {
        w.WriteStartObject("responseKind");
        w.WriteString("group", group);
        w.WriteString("version", version);
        w.WriteString("kind", kind);
        w.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
