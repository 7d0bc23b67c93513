using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Kubesharp.ApiServer.Tests.Integration;

/// <summary>Protobuf request bodies over raw HTTP, as client-go's typed clients send them: create, update, delete options.</summary>
public abstract partial class ClientTests<TFixture>
{
    [SkippableFact]
    public async Task A_protobuf_create_and_update_are_answered_in_JSON()
    {
        using var http = server.Http();

        using var created = await http.SendAsync(Protobuf(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", ConfigMapBody("pb-cm", null, "k", "1")));
        var rv = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("metadata").GetProperty("resourceVersion").GetString()!;
        using var updated = await http.SendAsync(Protobuf(HttpMethod.Put, "/api/v1/namespaces/default/configmaps/pb-cm", ConfigMapBody("pb-cm", rv, "k", "2")));
        using var stale = await http.SendAsync(Protobuf(HttpMethod.Put, "/api/v1/namespaces/default/configmaps/pb-cm", ConfigMapBody("pb-cm", rv, "k", "3")));
        using var read = JsonDocument.Parse(await http.GetStringAsync("/api/v1/namespaces/default/configmaps/pb-cm"));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("application/json", created.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal("2", read.RootElement.GetProperty("data").GetProperty("k").GetString());
    }

    [SkippableFact]
    public async Task Protobuf_delete_options_are_read_whatever_their_group_version()
    {
        using var http = server.Http();
        using var created = await http.PostAsync("/api/v1/namespaces/default/configmaps", new StringContent("""{"metadata":{"name":"pb-delete"}}""", Encoding.UTF8, "application/json"));
        var uid = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("metadata").GetProperty("uid").GetString()!;

        using var refused = await http.SendAsync(Protobuf(HttpMethod.Delete, "/api/v1/namespaces/default/configmaps/pb-delete", DeleteOptionsBody("v1", "not-the-uid")));
        using var deleted = await http.SendAsync(Protobuf(HttpMethod.Delete, "/api/v1/namespaces/default/configmaps/pb-delete", DeleteOptionsBody("meta.k8s.io/v1", uid)));

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("Precondition failed: UID in precondition: not-the-uid", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
    }

    [SkippableTheory]
    [InlineData("not an envelope", "the object provided is unrecognized: provided data does not appear to be a protobuf message")]
    [InlineData("unknown kind", "Widget in version \"v1\" cannot be handled as a Widget: no kind \"Widget\" is registered for version \"v1\"")]
    [InlineData("truncated", "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: unexpected EOF")]
    public async Task A_malformed_protobuf_body_is_a_BadRequest_Status(string name, string message)
    {
        var body = name switch
        {
            "not an envelope" => """{"kind":"ConfigMap"}"""u8.ToArray(),
            "unknown kind" => Envelope("v1", "Widget", []),
            _ => Envelope("v1", "ConfigMap", [0x0a, 0x10, 0x0a]),
        };
        using var http = server.Http();

        using var response = await http.SendAsync(Protobuf(HttpMethod.Post, "/api/v1/namespaces/default/configmaps", body));
        using var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("BadRequest", status.RootElement.GetProperty("reason").GetString());
        Assert.StartsWith(message, status.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private static HttpRequestMessage Protobuf(HttpMethod method, string path, byte[] body)
    {
        var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.kubernetes.protobuf");
        request.Headers.Accept.ParseAdd("application/vnd.kubernetes.protobuf, application/json");
        return request;
    }

    // The wire format by hand, with upstream's field numbers: runtime.Unknown {typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2},
    // ConfigMap {metadata = 1 {name = 1, resourceVersion = 6}, data = 2}, DeleteOptions {preconditions = 2 {uid = 1}}.
    private static byte[] ConfigMapBody(string name, string? resourceVersion, string key, string value) =>
        Envelope("v1", "ConfigMap", [.. Len(1, [.. Len(1, name), .. resourceVersion is null ? [] : Len(6, resourceVersion)]), .. Len(2, [.. Len(1, key), .. Len(2, value)])]);

    private static byte[] DeleteOptionsBody(string apiVersion, string uid) => Envelope(apiVersion, "DeleteOptions", Len(2, Len(1, uid)));

    private static byte[] Envelope(string apiVersion, string kind, byte[] raw) =>
        [.. "k8s\0"u8, .. Len(1, [.. Len(1, apiVersion), .. Len(2, kind)]), .. Len(2, raw)];

    private static byte[] Len(int field, string value) => Len(field, Encoding.UTF8.GetBytes(value));

    private static byte[] Len(int field, byte[] value)
    {
        // Field numbers and lengths here stay below 128: one byte each.
        Assert.True(field < 16 && value.Length < 128);
        return [(byte)((field << 3) | 2), (byte)value.Length, .. value];
    }
}
