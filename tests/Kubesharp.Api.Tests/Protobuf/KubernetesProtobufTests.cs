using System.Net;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Protobuf;
using static Kubesharp.Api.Tests.Protobuf.ProtoJson;

namespace Kubesharp.Api.Tests.Protobuf;

/// <summary>The envelope, the kinds it may name, and the 400s for what is not a well-formed object.</summary>
public sealed class KubernetesProtobufTests
{
    [Theory]
    [InlineData("application/vnd.kubernetes.protobuf", true)]
    [InlineData("Application/VND.Kubernetes.Protobuf; charset=utf-8", true)]
    [InlineData("application/vnd.kubernetes.protobuf;stream=watch", true)]
    [InlineData("application/json", false)]
    [InlineData("application/vnd.kubernetes.protobuf+json", false)]
    [InlineData(null, false)]
    public void The_media_type_is_recognised_whatever_its_parameters(string? contentType, bool expected) =>
        Assert.Equal(expected, KubernetesProtobuf.IsMediaType(contentType));

    [Fact]
    public void Kind_and_apiVersion_come_from_the_envelope_and_lead_the_object()
    {
        var json = Object("v1", "ConfigMap", ProtoBuilder.New().Message(1, m => m.Text(1, "c")).Entry(2, "k", "v"));

        Assert.Equal("""{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c","creationTimestamp":null},"data":{"k":"v"}}""", json);
    }

    [Fact]
    public void An_empty_message_is_an_object_with_its_value_structs()
    {
        var json = Object("apps/v1", "Deployment", ProtoBuilder.New());

        Assert.Equal("""{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"creationTimestamp":null},"spec":{"selector":null,"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":null}},"strategy":{}},"status":{}}""", json);
    }

    [Theory]
    [InlineData("apps/v1")]
    [InlineData("v1")]
    [InlineData("policy/v1")]
    [InlineData("meta.k8s.io/v1")]
    public void DeleteOptions_are_read_in_every_group_version(string apiVersion)
    {
        var options = ProtoBuilder.New().Num(1, 0).Message(2, p => p.Text(1, "uid-1")).Text(4, "Foreground").Text(5, "All");

        var json = Object(apiVersion, "DeleteOptions", options);

        Assert.Equal($$"""{"kind":"DeleteOptions","apiVersion":"{{apiVersion}}","gracePeriodSeconds":0,"preconditions":{"uid":"uid-1"},"propagationPolicy":"Foreground","dryRun":["All"]}""", json);
    }

    public static TheoryData<string, byte[], string> BadEnvelopes => new()
    {
        { "an empty body", [], "the object provided is unrecognized: empty data" },
        { "no magic", "{\"kind\":\"ConfigMap\"}"u8.ToArray(), "the object provided is unrecognized: provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]" },
        { "the magic alone", "k8s\0"u8.ToArray(), "the object provided is unrecognized: empty body" },
        { "a truncated envelope", [.. "k8s\0"u8, 0x0a, 0x20, 0x0a], "the object provided is unrecognized: unexpected EOF" },
        { "no kind", ProtoBuilder.Envelope("v1", "", ProtoBuilder.New()), "the object provided is unrecognized: Object 'Kind' is missing in 'runtime.TypeMeta{APIVersion:\"v1\", Kind:\"\"}'" },
        { "no apiVersion", ProtoBuilder.Envelope("", "ConfigMap", ProtoBuilder.New()), "the object provided is unrecognized: Object 'apiVersion' is missing in 'runtime.TypeMeta{APIVersion:\"\", Kind:\"ConfigMap\"}'" },
        { "an unknown kind", ProtoBuilder.Envelope("v1", "Widget", ProtoBuilder.New()), "Widget in version \"v1\" cannot be handled as a Widget: no kind \"Widget\" is registered for version \"v1\"" },
        { "a kind of another version", ProtoBuilder.Envelope("apps/v1beta1", "Deployment", ProtoBuilder.New()), "Deployment in version \"v1beta1\" cannot be handled as a Deployment: no kind \"Deployment\" is registered for version \"apps/v1beta1\"" },
        { "a truncated object", ProtoBuilder.Envelope("v1", "ConfigMap", ProtoBuilder.New().Raw(0x0a, 0x05, 0x0a)), "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: unexpected EOF" },
        { "a wrong wire type", ProtoBuilder.Envelope("v1", "ConfigMap", ProtoBuilder.New().Message(1, m => m.Varint(1, 7))), "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: proto: wrong wireType = 0 for field name" },
        { "field number zero", ProtoBuilder.Envelope("v1", "ConfigMap", ProtoBuilder.New().Raw(0x02, 0x00)), "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: proto: illegal tag 0 (wire type 2)" },
        { "an overlong varint", ProtoBuilder.Envelope("v1", "ConfigMap", ProtoBuilder.New().Raw(0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)), "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: proto: integer overflow" },
        { "an end group without a start", ProtoBuilder.Envelope("v1", "ConfigMap", ProtoBuilder.New().Tag(9, 4)), "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: proto: unexpected end of group" },
        { "an impossible IntOrString", ProtoBuilder.Envelope("v1", "Service", ProtoBuilder.New().Message(2, s => s.Message(1, p => p.Message(4, i => i.Num(1, 7))))), "Service in version \"v1\" cannot be handled as a Service: impossible IntOrString.Type" },
        { "a NaN", ProtoBuilder.Envelope("apiextensions.k8s.io/v1", "CustomResourceDefinition", ProtoBuilder.New().Message(2, s => s.Message(7, v => v.Message(4, r => r.Message(1, p => p.Fixed64Number(9, double.NaN)))))), "CustomResourceDefinition in version \"v1\" cannot be handled as a CustomResourceDefinition: json: unsupported value: NaN" },
        { "raw bytes that are not JSON", ProtoBuilder.Envelope("apps/v1", "ControllerRevision", ProtoBuilder.New().Message(2, d => d.Text(1, "{not json"))), "ControllerRevision in version \"v1\" cannot be handled as a ControllerRevision: json: error calling MarshalJSON for type runtime.RawExtension: the embedded bytes are not valid JSON" },
        { "a time past year 9999", ProtoBuilder.Envelope("v1", "ConfigMap", ProtoBuilder.New().Message(1, m => m.Message(8, t => t.Num(1, 253_402_300_800)))), "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: Time.MarshalJSON: year outside of range [1,9999]" },
    };

    [Theory]
    [MemberData(nameof(BadEnvelopes))]
    public void Malformed_bodies_are_a_BadRequest_that_says_why(string name, byte[] body, string message)
    {
        var e = Assert.Throws<StatusException>(() => KubernetesProtobuf.ToJson(body));

        Assert.True(e.Code == HttpStatusCode.BadRequest, name);
        Assert.Equal("BadRequest", e.Reason);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Messages_nested_past_the_limit_are_refused_not_a_stack_overflow()
    {
        // JSONSchemaProps.not is a JSONSchemaProps: as deep as the client likes.
        var schema = ProtoBuilder.New().Text(5, "object");
        for (var i = 0; i < ProtoJsonWriter.MaxDepth + 5; i++)
        {
            var inner = schema;
            schema = ProtoBuilder.New().Bytes(28, inner.ToArray());
        }

        var body = ProtoBuilder.Envelope("apiextensions.k8s.io/v1", "CustomResourceDefinition",
            ProtoBuilder.New().Message(2, s => s.Message(7, v => v.Message(4, r => r.Bytes(1, schema.ToArray())))));

        var e = Assert.Throws<StatusException>(() => KubernetesProtobuf.ToJson(body));
        Assert.Contains($"messages are nested more than {ProtoJsonWriter.MaxDepth} deep", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_nested_enveloped_object_in_a_raw_extension_is_decoded_too()
    {
        var configMap = ProtoBuilder.Envelope("v1", "ConfigMap", ProtoBuilder.New().Message(1, m => m.Text(1, "inner")));

        var json = Object("v1", "List", ProtoBuilder.New().Bytes(2, ProtoBuilder.New().Bytes(1, configMap).ToArray()).Message(2, r => r.Text(1, """{"kind":"Secret"}""")));

        Assert.Equal("""{"kind":"List","apiVersion":"v1","metadata":{},"items":[{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"inner","creationTimestamp":null}},{"kind":"Secret"}]}""", json);
    }
}
