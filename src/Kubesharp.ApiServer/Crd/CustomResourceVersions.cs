using System.Text;
using System.Text.Json;
using Kubesharp.Api.Resources;

namespace Kubesharp.ApiServer.Crd;

/// <summary>
/// Conversion between the versions of a custom resource with upstream's <c>None</c> strategy: only
/// <c>apiVersion</c> changes. Objects are stored in the CRD's storage version and read in the version the request
/// names. Works on bytes without building a tree (lists and watches splice stored bytes), and returns the same
/// array when nothing changes: built-in kinds and single-version CRDs pay one type test. Thread-safe.
/// </summary>
internal static class CustomResourceVersions
{
    /// <summary>The stored bytes of an object as the version of <paramref name="resource"/> shows them.</summary>
    public static byte[] ForRead(this ResourceInfo resource, byte[] stored) =>
        resource.Custom is { MultipleVersions: true } cr ? Rewrite(stored, cr.GroupVersion) : stored;

    /// <summary>The bytes of an object about to be stored, in the CRD's storage version.</summary>
    public static byte[] ForStorage(this ResourceInfo resource, byte[] json) =>
        resource.Custom is { MultipleVersions: true } cr ? Rewrite(json, $"{cr.Group}/{cr.StorageVersion}") : json;

    /// <summary>Replaces the top-level <c>apiVersion</c> string of <paramref name="json"/> (added when missing).</summary>
    internal static byte[] Rewrite(byte[] json, string apiVersion)
    {
        var reader = new Utf8JsonReader(json);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isApiVersion = reader.ValueTextEquals("apiVersion"u8);
            reader.Read();
            if (isApiVersion && reader.TokenType == JsonTokenType.String)
            {
                if (reader.ValueTextEquals(apiVersion))
                {
                    return json;
                }

                var start = (int)reader.TokenStartIndex;
                var end = start + (int)(reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length) + 2;
                return [.. json.AsSpan(0, start), .. Quoted(apiVersion), .. json.AsSpan(end)];
            }

            reader.Skip();
        }

        var open = Array.IndexOf(json, (byte)'{');
        var empty = json.AsSpan(open + 1).Trim(" \t\r\n"u8).StartsWith("}"u8);
        return [.. json.AsSpan(0, open + 1), .. "\"apiVersion\":"u8, .. Quoted(apiVersion), .. (empty ? ""u8 : ","u8), .. json.AsSpan(open + 1)];
    }

    private static byte[] Quoted(string value) => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value));
}
