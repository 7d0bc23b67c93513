using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;

namespace Kubesharp.Images;

/// <summary>What <see cref="OciArchiveWriter.Write"/> wrote: the digests (<c>sha256:HEX</c>) naming the image.</summary>
internal sealed record OciArchive(ImageReference Reference, string ManifestDigest, string ConfigDigest, string LayerDigest, long LayerSize);

/// <summary>
/// Writes an OCI image layout as one tar archive, the format <c>ctr images import</c> and <c>skopeo copy
/// oci-archive:FILE</c> read: <c>oci-layout</c>, <c>index.json</c> and <c>blobs/sha256/HEX</c> for one uncompressed
/// layer (the root filesystem), the image config and the manifest. The index names the image twice:
/// <c>io.containerd.image.name</c> with the full reference (what containerd imports it as) and
/// <c>org.opencontainers.image.ref.name</c> with the tag (what skopeo and the OCI layout spec select by).
/// The same tree and config give the same bytes, so the same digests (see <see cref="LayerWriter"/>).
/// </summary>
internal static class OciArchiveWriter
{
    public const string IndexMediaType = "application/vnd.oci.image.index.v1+json";
    public const string ManifestMediaType = "application/vnd.oci.image.manifest.v1+json";
    public const string ConfigMediaType = "application/vnd.oci.image.config.v1+json";
    public const string LayerMediaType = "application/vnd.oci.image.layer.v1.tar";
    public const string ContainerdNameAnnotation = "io.containerd.image.name";
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";

    /// <summary>
    /// Writes the image of <paramref name="rootfs"/> to <paramref name="outputPath"/> (replaced atomically: a reader
    /// never sees half an archive). The layer is staged in a temporary file beside the output.
    /// </summary>
    public static OciArchive Write(string rootfs, ImageReference reference, ImageConfig config, string outputPath)
    {
        var fullOutput = Path.GetFullPath(outputPath);
        var dir = Path.GetDirectoryName(fullOutput)!;
        Directory.CreateDirectory(dir);
        var layerPath = Path.Combine(dir, $".{Path.GetFileName(fullOutput)}.layer-{Environment.ProcessId}");
        var archivePath = Path.Combine(dir, $".{Path.GetFileName(fullOutput)}.tmp-{Environment.ProcessId}");
        try
        {
            string layerDigest;
            long layerSize;
            using (var layer = new FileStream(layerPath, FileMode.Create, FileAccess.ReadWrite))
            {
                LayerWriter.Write(rootfs, layer);
                layerSize = layer.Length;
                layer.Position = 0;
                layerDigest = Digest(SHA256.HashData(layer));
            }

            var configJson = ConfigJson(config, layerDigest);
            var configDigest = Digest(SHA256.HashData(configJson));
            var manifestJson = ManifestJson(configDigest, configJson.Length, layerDigest, layerSize);
            var manifestDigest = Digest(SHA256.HashData(manifestJson));
            var indexJson = IndexJson(manifestDigest, manifestJson.Length, reference, config);

            using (var archive = new FileStream(archivePath, FileMode.Create, FileAccess.Write))
            using (var tar = new TarWriter(archive, TarEntryFormat.Gnu, leaveOpen: true))
            {
                WriteBytes(tar, "oci-layout", """{"imageLayoutVersion":"1.0.0"}"""u8.ToArray());
                WriteBytes(tar, "index.json", indexJson);
                WriteDirectory(tar, "blobs/");
                WriteDirectory(tar, "blobs/sha256/");
                WriteBytes(tar, BlobPath(manifestDigest), manifestJson);
                WriteBytes(tar, BlobPath(configDigest), configJson);
                using var layer = File.OpenRead(layerPath);
                var entry = NewEntry(TarEntryType.RegularFile, BlobPath(layerDigest), (UnixFileMode)0b110_100_100);
                entry.DataStream = layer;
                tar.WriteEntry(entry);
            }

            File.Move(archivePath, fullOutput, overwrite: true);
            return new OciArchive(reference, manifestDigest, configDigest, layerDigest, layerSize);
        }
        finally
        {
            File.Delete(layerPath);
            File.Delete(archivePath);
        }
    }

    private static string Digest(byte[] hash) => "sha256:" + Convert.ToHexStringLower(hash);

    private static string BlobPath(string digest) => "blobs/sha256/" + digest["sha256:".Length..];

    private static byte[] ConfigJson(ImageConfig config, string layerDigest) => Json(w =>
    {
        w.WriteString("created", LayerWriter.Epoch.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteString("architecture", config.Architecture);
        w.WriteString("os", config.Os);
        w.WriteStartObject("config");
        if (config.Env.Count > 0)
        {
            WriteArray(w, "Env", config.Env);
        }

        if (config.Entrypoint.Count > 0)
        {
            WriteArray(w, "Entrypoint", config.Entrypoint);
        }

        if (config.Cmd.Count > 0)
        {
            WriteArray(w, "Cmd", config.Cmd);
        }

        if (!string.IsNullOrEmpty(config.WorkingDir))
        {
            w.WriteString("WorkingDir", config.WorkingDir);
        }

        w.WriteEndObject();
        w.WriteStartObject("rootfs");
        w.WriteString("type", "layers");
        WriteArray(w, "diff_ids", [layerDigest]);
        w.WriteEndObject();
    });

    private static byte[] ManifestJson(string configDigest, long configSize, string layerDigest, long layerSize) => Json(w =>
    {
        w.WriteNumber("schemaVersion", 2);
        w.WriteString("mediaType", ManifestMediaType);
        w.WriteStartObject("config");
        WriteDescriptor(w, ConfigMediaType, configDigest, configSize);
        w.WriteEndObject();
        w.WriteStartArray("layers");
        w.WriteStartObject();
        WriteDescriptor(w, LayerMediaType, layerDigest, layerSize);
        w.WriteEndObject();
        w.WriteEndArray();
    });

    private static byte[] IndexJson(string manifestDigest, long manifestSize, ImageReference reference, ImageConfig config) => Json(w =>
    {
        w.WriteNumber("schemaVersion", 2);
        w.WriteString("mediaType", IndexMediaType);
        w.WriteStartArray("manifests");
        w.WriteStartObject();
        WriteDescriptor(w, ManifestMediaType, manifestDigest, manifestSize);
        w.WriteStartObject("annotations");
        w.WriteString(ContainerdNameAnnotation, reference.FullName);
        w.WriteString(RefNameAnnotation, reference.Tag);
        w.WriteEndObject();
        w.WriteStartObject("platform");
        w.WriteString("architecture", config.Architecture);
        w.WriteString("os", config.Os);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
    });

    private static void WriteDescriptor(Utf8JsonWriter w, string mediaType, string digest, long size)
    {
        w.WriteString("mediaType", mediaType);
        w.WriteString("digest", digest);
        w.WriteNumber("size", size);
    }

    private static void WriteArray(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
    }

    // Written field by field so that the bytes, hence the digests, never depend on a serializer's ordering.
    private static byte[] Json(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteBytes(TarWriter tar, string name, byte[] content)
    {
        var entry = NewEntry(TarEntryType.RegularFile, name, (UnixFileMode)0b110_100_100);
        entry.DataStream = new MemoryStream(content, writable: false);
        tar.WriteEntry(entry);
    }

    private static void WriteDirectory(TarWriter tar, string name) => tar.WriteEntry(NewEntry(TarEntryType.Directory, name, (UnixFileMode)0b111_101_101));

    private static GnuTarEntry NewEntry(TarEntryType type, string name, UnixFileMode mode) =>
        new(type, name) { ModificationTime = LayerWriter.Epoch, AccessTime = LayerWriter.Epoch, ChangeTime = LayerWriter.Epoch, Uid = 0, Gid = 0, Mode = mode };
}
