using System.Buffers.Text;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;

namespace Kubesharp.Storage;

/// <summary>
/// The opaque continue token of a paginated list, shaped as upstream's
/// (<c>{"v":"meta.k8s.io/v1","rv":N,"start":"suffix"}</c> in base64url) so that it resumes at the same
/// revision from the key after the last one returned. It adds a checksum over the list's prefix, so a
/// token edited by hand or taken from another list is refused instead of silently resuming elsewhere.
/// </summary>
internal static class ContinueToken
{
    private const string Version = "meta.k8s.io/v1";

    /// <param name="nextKey">The first key the next page may return (the last key returned, plus "\0").</param>
    public static string Encode(string prefix, long revision, string nextKey)
    {
        var start = nextKey[prefix.Length..];
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("v", Version);
            writer.WriteNumber("rv", revision);
            writer.WriteString("start", start);
            writer.WriteNumber("c", Checksum(prefix, revision, start));
            writer.WriteEndObject();
        }

        return Base64Url.EncodeToString(buffer.ToArray());
    }

    /// <summary>Returns the revision and the first key of the next page, or throws InvalidArgument.</summary>
    public static (long Revision, string NextKey) Decode(string prefix, string token)
    {
        byte[] json;
        try
        {
            json = Base64Url.DecodeFromChars(token);
        }
        catch (FormatException)
        {
            throw StoreException.Invalid("continue token is not valid base64");
        }

        string? version = null, start = null;
        long revision = -1;
        uint? checksum = null;
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw StoreException.Invalid("continue token is not a JSON object");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "v": version = reader.GetString(); break;
                    case "rv": revision = reader.GetInt64(); break;
                    case "start": start = reader.GetString(); break;
                    case "c": checksum = reader.GetUInt32(); break;
                    default: reader.Skip(); break;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw StoreException.Invalid($"continue token is malformed: {e.Message}");
        }

        if (version != Version)
        {
            throw StoreException.Invalid($"continue token has version \"{version}\", expected \"{Version}\"");
        }

        if (revision <= 0 || start is null)
        {
            throw StoreException.Invalid("continue token lacks a revision or a start key");
        }

        if (checksum != Checksum(prefix, revision, start))
        {
            throw StoreException.Invalid("continue token was altered or belongs to another list");
        }

        // Any other spelling of the same fields (trailing bytes, reordered or extra fields) is not ours.
        if (!string.Equals(Encode(prefix, revision, prefix + start), token, StringComparison.Ordinal))
        {
            throw StoreException.Invalid("continue token was altered");
        }

        var nextKey = prefix + start;
        // Upstream refuses a start key that would climb out of the listed prefix.
        if (start.Contains("/../", StringComparison.Ordinal) || start.StartsWith("../", StringComparison.Ordinal))
        {
            throw StoreException.Invalid("continue token start key is not valid");
        }

        return (revision, nextKey);
    }

    private static uint Checksum(string prefix, long revision, string start)
    {
        var crc = new Crc32();
        crc.Append(Encoding.UTF8.GetBytes(prefix));
        crc.Append(BitConverter.GetBytes(revision));
        crc.Append(Encoding.UTF8.GetBytes(start));
        return crc.GetCurrentHashAsUInt32();
    }
}
