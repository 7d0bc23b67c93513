using System.Text;
using System.Text.Json;

namespace Kubesharp.Storage;

/// <summary>The argument rules every backend enforces, in one place so that all three agree.</summary>
public static class StoreLimits
{
    /// <summary>Every key and prefix lives under this root, as upstream's default etcd prefix.</summary>
    public const string RegistryRoot = "/registry/";

    /// <summary>Longest key, in UTF-8 bytes. Upstream names are at most 253 characters; paths add little.</summary>
    public const int MaxKeyBytes = 1024;

    /// <summary>Largest value: etcd's default request limit (1.5 MiB), so every backend refuses the same.</summary>
    public const int MaxValueBytes = 1536 * 1024;

    /// <summary>Longest time-to-live accepted, as etcd's maximum lease TTL (about 9,000 hours).</summary>
    public static readonly TimeSpan MaxTtl = TimeSpan.FromSeconds(9_000_000_000 / 1000);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    internal static void ValidateKey(string key) => ValidatePath(key, "key", isPrefix: false);

    internal static void ValidatePrefix(string prefix) => ValidatePath(prefix, "prefix", isPrefix: true);

    private static void ValidatePath(string path, string what, bool isPrefix)
    {
        if (string.IsNullOrEmpty(path))
        {
            throw StoreException.Invalid($"{what} must not be empty");
        }

        if (!path.StartsWith(RegistryRoot, StringComparison.Ordinal))
        {
            throw StoreException.Invalid($"{what} \"{Truncate(path)}\" is outside the registry prefix \"{RegistryRoot}\"");
        }

        int byteCount;
        try
        {
            byteCount = StrictUtf8.GetByteCount(path);
        }
        catch (EncoderFallbackException)
        {
            throw StoreException.Invalid($"{what} is not valid UTF-16 text (lone surrogate)");
        }

        if (byteCount > MaxKeyBytes)
        {
            throw StoreException.Invalid($"{what} is longer than {MaxKeyBytes} bytes");
        }

        if (isPrefix ? !path.EndsWith('/') : path.EndsWith('/'))
        {
            throw StoreException.Invalid(isPrefix
                ? $"prefix \"{Truncate(path)}\" must end with \"/\""
                : $"key \"{Truncate(path)}\" must not end with \"/\"");
        }

        foreach (var c in path)
        {
            if (char.IsControl(c))
            {
                throw StoreException.Invalid($"{what} \"{Truncate(path)}\" contains a control character");
            }
        }

        // "/registry/pods//x" or ".." would let two spellings name one object, or escape a prefix.
        foreach (var segment in path.AsSpan(RegistryRoot.Length).TrimEnd('/').ToString().Split('/'))
        {
            if (segment.Length == 0 && path.Length > RegistryRoot.Length)
            {
                throw StoreException.Invalid($"{what} \"{Truncate(path)}\" has an empty segment");
            }

            if (segment is "." or "..")
            {
                throw StoreException.Invalid($"{what} \"{Truncate(path)}\" has a \".\" or \"..\" segment");
            }
        }

        if (!isPrefix && path.Length == RegistryRoot.Length)
        {
            throw StoreException.Invalid("key must name something under the registry prefix");
        }
    }

    internal static void ValidateValue(ReadOnlySpan<byte> value)
    {
        if (value.Length == 0)
        {
            throw StoreException.Invalid("value must not be empty");
        }

        if (value.Length > MaxValueBytes)
        {
            throw StoreException.Invalid($"value of {value.Length} bytes is larger than the limit of {MaxValueBytes} bytes");
        }

        var reader = new Utf8JsonReader(value, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw StoreException.Invalid("value must be a JSON object");
            }

            reader.Skip();
            if (reader.Read())
            {
                throw StoreException.Invalid("value has data after the JSON object");
            }
        }
        catch (JsonException e)
        {
            throw StoreException.Invalid($"value is not valid JSON: {e.Message}");
        }
    }

    internal static void ValidateRevision(long revision, string what = "revision")
    {
        if (revision < 0)
        {
            throw StoreException.Invalid($"{what} must not be negative (got {revision})");
        }
    }

    internal static void ValidateTtl(TimeSpan? ttl)
    {
        if (ttl is { } t && (t < TimeSpan.FromSeconds(1) || t > MaxTtl))
        {
            throw StoreException.Invalid($"time-to-live must be between 1 second and {MaxTtl.TotalSeconds} seconds (got {t.TotalSeconds})");
        }
    }

    internal static void ValidateLimit(long limit)
    {
        if (limit < 0)
        {
            throw StoreException.Invalid($"limit must not be negative (got {limit})");
        }
    }

    /// <summary>The smallest string greater than every key that starts with <paramref name="prefix"/>.</summary>
    internal static string PrefixEnd(string prefix) =>
        // Prefixes end with '/', and '0' is the next code point: every key under the prefix sorts below it.
        string.Concat(prefix.AsSpan(0, prefix.Length - 1), "0");

    private static string Truncate(string s) => s.Length <= 80 ? s : string.Concat(s.AsSpan(0, 80), "...");
}
