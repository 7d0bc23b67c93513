using Kubesharp.Api.Protobuf;
using Kubesharp.Api.Resources;

namespace Kubesharp.Api.Tests.Protobuf;

/// <summary>The schema table shipped with Kubesharp, and the checks its loader makes on any table.</summary>
public sealed class ProtoSchemaTests
{
    private static readonly ProtoSchema Schema = ProtoSchema.Builtin;

    [Fact]
    public void Every_served_kind_its_list_and_its_subresource_kinds_have_a_message()
    {
        var missing = BuiltinResources.Table.All
            // A create-only row (bindings) has no list kind upstream.
            .SelectMany(r => (r.Supports("list") ? new[] { (r.GroupVersion, r.Kind), (r.GroupVersion, r.ListKind) } : [(r.GroupVersion, r.Kind)])
                .Concat(r.Subresources.Select(s => (s.Group.Length == 0 ? s.Version : $"{s.Group}/{s.Version}", s.Kind))))
            .Where(k => Schema.FindKind(k.Item1, k.Item2) is null)
            .ToList();

        Assert.Empty(missing);
    }

    [Theory]
    [InlineData("v1", "DeleteOptions", "meta/v1.DeleteOptions")]
    [InlineData("rbac.authorization.k8s.io/v1", "DeleteOptions", "meta/v1.DeleteOptions")]
    [InlineData("v1", "Pod", "core/v1.Pod")]
    [InlineData("events.k8s.io/v1", "Event", "events/v1.Event")]
    [InlineData("v1", "Event", "core/v1.Event")]
    [InlineData("authentication.k8s.io/v1", "TokenRequest", "authentication/v1.TokenRequest")]
    [InlineData("autoscaling/v1", "Scale", "autoscaling/v1.Scale")]
    public void Kinds_resolve_to_their_group_versions_message(string apiVersion, string kind, string message) =>
        Assert.Equal(message, Schema.FindKind(apiVersion, kind)?.Name);

    [Fact]
    public void Every_kind_of_the_table_decodes_from_an_empty_message_to_its_zero_object()
    {
        var failures = new List<string>();
        foreach (var (apiVersion, kind) in Schema.Kinds)
        {
            var version = apiVersion == "*" ? "v1" : apiVersion;
            try
            {
                var json = System.Text.Json.Nodes.JsonNode.Parse(KubernetesProtobuf.ToJson(ProtoBuilder.Envelope(version, kind, ProtoBuilder.New())))!;
                if ((string?)json["kind"] != kind || (string?)json["apiVersion"] != version)
                {
                    failures.Add($"{version} {kind}: {json.ToJsonString()}");
                }
            }
            catch (Exception e)
            {
                failures.Add($"{version} {kind}: {e.Message}");
            }
        }

        Assert.Empty(failures);
        Assert.Equal(132, Schema.Kinds.Count());
    }

    [Fact]
    public void Every_message_field_refers_to_a_message_of_the_table()
    {
        var unresolved = Schema.Messages.Values
            .SelectMany(m => m.Fields.Where(f => f.Type == ProtoType.Message && f.Message is null).Select(f => $"{m.Name}.{f.Name}"))
            .ToList();

        Assert.Empty(unresolved);
    }

    [Fact]
    public void No_message_writes_a_JSON_name_twice_once_inline_structs_are_flattened()
    {
        var duplicates = Schema.Messages.Values
            .Where(m => m.Special == SpecialKind.None)
            .SelectMany(m => JsonNames(m).GroupBy(n => n).Where(g => g.Count() > 1).Select(g => $"{m.Name}.{g.Key}"))
            .ToList();

        Assert.Empty(duplicates);
    }

    [Fact]
    public void The_pod_spec_reaches_every_volume_source_and_probe_handler()
    {
        var volume = Schema.Messages["core/v1.VolumeSource"];
        var probe = Schema.Messages["core/v1.Probe"];

        Assert.Equal(30, volume.Fields.Length);
        Assert.All(volume.Fields, f => Assert.True(f.Pointer && f.OmitEmpty, f.Name));
        Assert.Equal(["exec", "httpGet", "tcpSocket", "grpc"], JsonNames(probe).Take(4));
    }

    public static TheoryData<string, string> BadTables => new()
    {
        { "message a.B\n  1 x nosuch.Type\n", "a.B.x: message nosuch.Type is not in the schema table" },
        { "message a.B\n  1 x strin\n", "line 2: unknown type strin" },
        { "message a.B\n  1 x string pointer\n", "line 2: unknown flag pointer" },
        { "message a.B\nmessage a.B\n", "line 2: message a.B appears twice" },
        { "message a.B\n  1 x string\n  1 y string\n", "a.B: field number 1 appears twice" },
        { "  1 x string\n", "line 1: expected" },
        { "message a.B odd\n", "line 1: unknown special kind odd" },
        { "kind v1 B a.C\n", "line 1: message a.C is not in the schema table" },
        { "message a.B\nkind v1 B a.B\nkind v1 B a.B\n", "line 3: kind v1 B appears twice" },
        { "message a.B envelope\nmessage a.C\n  1 x a.B\n", "a.C.x: an envelope cannot be a field" },
    };

    [Theory]
    [MemberData(nameof(BadTables))]
    public void A_malformed_table_is_refused_naming_the_line(string table, string message)
    {
        var e = Assert.Throws<FormatException>(() => ProtoSchema.Parse(new StringReader(table)));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<string> JsonNames(ProtoMessage message) =>
        message.Fields.SelectMany(f => f.Inline ? JsonNames(f.Message!) : [f.Name]);
}
