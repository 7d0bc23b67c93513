using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.Deployment;

/// <summary>
/// The <c>pod-template-hash</c> label and template comparison.
/// <para>
/// Upstream hashes the Go value of the template as printed by spew (<c>hashutil.DeepHashObject</c>) with
/// FNV-32a, adds the collision count, and writes the 32-bit sum's decimal digits through
/// <c>rand.SafeEncodeString</c>. We keep the FNV-32a, the collision count (its 4 little-endian bytes padded
/// to 8, as upstream writes them) and the encoding, but hash a canonical JSON form of the template instead
/// of Go's printout: keys sorted, and empty objects, empty arrays and nulls dropped (Go's semantic equality
/// does not tell nil from empty maps and slices). So the hash is stable across restarts and for equal
/// templates, but differs from upstream's for the same template: a ReplicaSet made by upstream is still
/// found (by template equality, not by hash), only new names differ.
/// </para>
/// </summary>
internal static class PodTemplateHash
{
    /// <summary>The label a Deployment adds to its ReplicaSets' selectors and pod templates.</summary>
    public const string Label = "pod-template-hash";

    // rand.SafeEncodeString's alphabet: no vowels (no words) and no characters that look alike.
    private const string Alphanums = "bcdfghjklmnpqrstvwxz2456789";

    public static string Compute(V1PodTemplateSpec template, int? collisionCount)
    {
        var canonical = Encoding.UTF8.GetBytes(Canonical(template, ignoreHashLabel: false));
        var hash = 2166136261u;
        foreach (var b in canonical)
        {
            hash = (hash ^ b) * 16777619u;
        }

        if (collisionCount is { } count)
        {
            Span<byte> bytes = stackalloc byte[8];
            bytes.Clear();
            BitConverter.TryWriteBytes(bytes, (uint)count);
            if (!BitConverter.IsLittleEndian)
            {
                bytes[..4].Reverse();
            }

            foreach (var b in bytes)
            {
                hash = (hash ^ b) * 16777619u;
            }
        }

        return SafeEncode(hash.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Upstream's <c>EqualIgnoreHash</c>: semantically equal templates, the hash label aside.</summary>
    public static bool EqualIgnoreHash(V1PodTemplateSpec? a, V1PodTemplateSpec? b) =>
        Canonical(a, ignoreHashLabel: true) == Canonical(b, ignoreHashLabel: true);

    internal static string SafeEncode(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            sb.Append(Alphanums[c % Alphanums.Length]);
        }

        return sb.ToString();
    }

    internal static string Canonical(V1PodTemplateSpec? template, bool ignoreHashLabel)
    {
        if (template is null)
        {
            return "";
        }

        var node = JsonNode.Parse(KubernetesJson.Serialize(template));
        if (ignoreHashLabel && node?["metadata"]?["labels"] is JsonObject labels)
        {
            labels.Remove(Label);
        }

        return CanonicalJson.Text(node);
    }
}
