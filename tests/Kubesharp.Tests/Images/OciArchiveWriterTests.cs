using System.Diagnostics;
using System.Formats.Tar;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Kubesharp.Images;

namespace Kubesharp.Tests.Images;

public sealed class OciArchiveWriterTests : IDisposable
{
    private static readonly ImageReference Busybox = ImageReference.Parse("127.0.0.1:5000/library/busybox:1.35");
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("kubesharp-image-");

    private string Rootfs => Path.Combine(_temp.FullName, "rootfs");

    public void Dispose() => _temp.Delete(recursive: true);

    [Fact]
    public void Archive_holds_an_oci_layout_whose_index_names_the_image_for_containerd_and_skopeo()
    {
        MakeRootfs();

        var written = OciArchiveWriter.Write(Rootfs, Busybox, new ImageConfig(), Output("a.tar"));

        var files = ReadTar(Output("a.tar"));
        Assert.Equal(
            new[] { "oci-layout", "index.json", "blobs/", "blobs/sha256/", Blob(written.ManifestDigest), Blob(written.ConfigDigest), Blob(written.LayerDigest) },
            files.Keys.ToArray());
        Assert.Equal("""{"imageLayoutVersion":"1.0.0"}""", System.Text.Encoding.UTF8.GetString(files["oci-layout"]));

        using var index = JsonDocument.Parse(files["index.json"]);
        Assert.Equal(2, index.RootElement.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("application/vnd.oci.image.index.v1+json", index.RootElement.GetProperty("mediaType").GetString());
        var manifestDescriptor = Assert.Single(index.RootElement.GetProperty("manifests").EnumerateArray());
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", manifestDescriptor.GetProperty("mediaType").GetString());
        Assert.Equal(written.ManifestDigest, manifestDescriptor.GetProperty("digest").GetString());
        Assert.Equal(files[Blob(written.ManifestDigest)].Length, manifestDescriptor.GetProperty("size").GetInt64());
        var annotations = manifestDescriptor.GetProperty("annotations");
        Assert.Equal("127.0.0.1:5000/library/busybox:1.35", annotations.GetProperty("io.containerd.image.name").GetString());
        Assert.Equal("1.35", annotations.GetProperty("org.opencontainers.image.ref.name").GetString());
    }

    [Fact]
    public void Every_blob_is_named_by_its_sha256_and_the_manifest_points_at_the_config_and_the_layer()
    {
        MakeRootfs();

        var written = OciArchiveWriter.Write(Rootfs, Busybox, new ImageConfig(), Output("a.tar"));

        var files = ReadTar(Output("a.tar"));
        foreach (var (name, content) in files.Where(f => f.Key.StartsWith("blobs/sha256/", StringComparison.Ordinal) && !f.Key.EndsWith('/')))
        {
            Assert.Equal(name["blobs/sha256/".Length..], Convert.ToHexStringLower(SHA256.HashData(content)));
        }

        using var manifest = JsonDocument.Parse(files[Blob(written.ManifestDigest)]);
        Assert.Equal(2, manifest.RootElement.GetProperty("schemaVersion").GetInt32());
        var config = manifest.RootElement.GetProperty("config");
        Assert.Equal("application/vnd.oci.image.config.v1+json", config.GetProperty("mediaType").GetString());
        Assert.Equal(written.ConfigDigest, config.GetProperty("digest").GetString());
        Assert.Equal(files[Blob(written.ConfigDigest)].Length, config.GetProperty("size").GetInt64());
        var layer = Assert.Single(manifest.RootElement.GetProperty("layers").EnumerateArray());
        Assert.Equal("application/vnd.oci.image.layer.v1.tar", layer.GetProperty("mediaType").GetString());
        Assert.Equal(written.LayerDigest, layer.GetProperty("digest").GetString());
        Assert.Equal(written.LayerSize, layer.GetProperty("size").GetInt64());
        Assert.Equal(written.LayerSize, files[Blob(written.LayerDigest)].Length);
    }

    [Fact]
    public void Config_carries_the_platform_the_process_settings_and_the_layer_diff_id()
    {
        MakeRootfs();
        var settings = new ImageConfig
        {
            Entrypoint = ["/bin/sh", "-c"],
            Cmd = ["echo hi"],
            Env = ["PATH=/usr/bin:/bin", "GREETING=a+b"],
            WorkingDir = "/tmp",
        };

        var written = OciArchiveWriter.Write(Rootfs, Busybox, settings, Output("a.tar"));

        using var config = JsonDocument.Parse(ReadTar(Output("a.tar"))[Blob(written.ConfigDigest)]);
        var root = config.RootElement;
        Assert.Equal(ImageConfig.HostArchitecture(), root.GetProperty("architecture").GetString());
        Assert.Equal("linux", root.GetProperty("os").GetString());
        var process = root.GetProperty("config");
        Assert.Equal(["/bin/sh", "-c"], Strings(process.GetProperty("Entrypoint")));
        Assert.Equal(["echo hi"], Strings(process.GetProperty("Cmd")));
        Assert.Equal(["PATH=/usr/bin:/bin", "GREETING=a+b"], Strings(process.GetProperty("Env")));
        Assert.Equal("/tmp", process.GetProperty("WorkingDir").GetString());
        Assert.Equal("layers", root.GetProperty("rootfs").GetProperty("type").GetString());
        // Uncompressed: the layer's digest is its diff id.
        Assert.Equal([written.LayerDigest], Strings(root.GetProperty("rootfs").GetProperty("diff_ids")));
    }

    [Fact]
    public void Host_architecture_uses_the_oci_names()
    {
        Assert.Contains(ImageConfig.HostArchitecture(), new[] { "amd64", "arm64", "arm", "386", "s390x", "ppc64le", "riscv64", "loong64" });
    }

    [Fact]
    public void Layer_keeps_directories_files_symlinks_and_modes_with_fixed_owner_and_times()
    {
        MakeRootfs();

        var written = OciArchiveWriter.Write(Rootfs, Busybox, new ImageConfig(), Output("a.tar"));

        var layer = ReadEntries(new MemoryStream(ReadTar(Output("a.tar"))[Blob(written.LayerDigest)]));
        Assert.Equal(
            new[] { "bin/", "bin/sh", "bin/tool", "empty/", "etc/", "etc/passwd", "fifo", "tmp/" },
            layer.Select(e => e.Name).ToArray());
        var byName = layer.ToDictionary(e => e.Name);
        Assert.Equal(TarEntryType.Directory, byName["bin/"].Type);
        Assert.Equal((UnixFileMode)0b111_101_101, byName["bin/"].Mode);
        Assert.Equal(TarEntryType.RegularFile, byName["bin/tool"].Type);
        Assert.Equal((UnixFileMode)0b111_101_101, byName["bin/tool"].Mode);
        Assert.Equal("#!/bin/sh\necho tool\n", byName["bin/tool"].Content);
        Assert.Equal(TarEntryType.SymbolicLink, byName["bin/sh"].Type);
        Assert.Equal("/bin/tool", byName["bin/sh"].LinkName);
        Assert.Equal((UnixFileMode)0b110_100_000, byName["etc/passwd"].Mode);
        Assert.Equal(TarEntryType.Directory, byName["empty/"].Type);
        Assert.Equal(TarEntryType.Fifo, byName["fifo"].Type);
        Assert.Equal(UnixFileMode.StickyBit | (UnixFileMode)0b111_111_111, byName["tmp/"].Mode);
        Assert.All(layer, e =>
        {
            Assert.Equal(DateTimeOffset.UnixEpoch, e.ModificationTime);
            Assert.Equal(0, e.Uid);
            Assert.Equal(0, e.Gid);
        });
    }

    [Fact]
    public void The_same_tree_gives_the_same_bytes_whatever_the_files_times()
    {
        MakeRootfs();
        var first = OciArchiveWriter.Write(Rootfs, Busybox, new ImageConfig { Cmd = ["sh"] }, Output("a.tar"));

        foreach (var path in Directory.EnumerateFileSystemEntries(Rootfs, "*", SearchOption.AllDirectories).Where(p => new FileInfo(p).LinkTarget is null))
        {
            File.SetLastWriteTimeUtc(path, new DateTime(2030, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        }

        var second = OciArchiveWriter.Write(Rootfs, Busybox, new ImageConfig { Cmd = ["sh"] }, Output("b.tar"));

        Assert.Equal(first, second);
        Assert.Equal(File.ReadAllBytes(Output("a.tar")), File.ReadAllBytes(Output("b.tar")));
    }

    [Fact]
    public void A_different_content_gives_a_different_layer_digest()
    {
        MakeRootfs();
        var first = OciArchiveWriter.Write(Rootfs, Busybox, new ImageConfig(), Output("a.tar"));
        File.AppendAllText(Path.Combine(Rootfs, "etc", "passwd"), "nobody:x:65534:65534::/:/bin/false\n");

        var second = OciArchiveWriter.Write(Rootfs, Busybox, new ImageConfig(), Output("b.tar"));

        Assert.NotEqual(first.LayerDigest, second.LayerDigest);
        Assert.NotEqual(first.ManifestDigest, second.ManifestDigest);
    }

    [Fact]
    public void Output_is_replaced_whole_and_no_staging_file_is_left()
    {
        MakeRootfs();
        File.WriteAllText(Output("a.tar"), "old content");

        OciArchiveWriter.Write(Rootfs, Busybox, new ImageConfig(), Output("a.tar"));

        Assert.Contains("index.json", ReadTar(Output("a.tar")).Keys);
        Assert.Equal(["a.tar", "rootfs"], _temp.EnumerateFileSystemInfos().Select(f => f.Name).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void A_missing_rootfs_is_an_error_naming_it()
    {
        var error = Assert.Throws<DirectoryNotFoundException>(() => OciArchiveWriter.Write(Rootfs, Busybox, new ImageConfig(), Output("a.tar")));

        Assert.Contains(Rootfs, error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Output("a.tar")));
    }

    [Fact]
    public void A_socket_in_the_tree_is_refused()
    {
        MakeRootfs();
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(Rootfs, "tmp", "sock")));

        var error = Assert.Throws<NotSupportedException>(() => OciArchiveWriter.Write(Rootfs, Busybox, new ImageConfig(), Output("a.tar")));

        Assert.Contains("tmp/sock", error.Message, StringComparison.Ordinal);
    }

    private void MakeRootfs()
    {
        Directory.CreateDirectory(Path.Combine(Rootfs, "bin"));
        Directory.CreateDirectory(Path.Combine(Rootfs, "etc"));
        Directory.CreateDirectory(Path.Combine(Rootfs, "empty"));
        Directory.CreateDirectory(Path.Combine(Rootfs, "tmp"));
        File.SetUnixFileMode(Path.Combine(Rootfs, "bin"), (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(Path.Combine(Rootfs, "tmp"), UnixFileMode.StickyBit | (UnixFileMode)0b111_111_111);
        var tool = Path.Combine(Rootfs, "bin", "tool");
        File.WriteAllText(tool, "#!/bin/sh\necho tool\n");
        File.SetUnixFileMode(tool, (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(Path.Combine(Rootfs, "bin", "sh"), "/bin/tool");
        var passwd = Path.Combine(Rootfs, "etc", "passwd");
        File.WriteAllText(passwd, "root:x:0:0:root:/root:/bin/sh\n");
        File.SetUnixFileMode(passwd, (UnixFileMode)0b110_100_000);
        using var mkfifo = Process.Start("mkfifo", [Path.Combine(Rootfs, "fifo")])!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    private string Output(string name) => Path.Combine(_temp.FullName, name);

    private static string Blob(string digest) => "blobs/sha256/" + digest["sha256:".Length..];

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static Dictionary<string, byte[]> ReadTar(string path)
    {
        using var file = File.OpenRead(path);
        return ReadEntries(file).ToDictionary(e => e.Name, e => e.Bytes);
    }

    private static List<Entry> ReadEntries(Stream stream)
    {
        var entries = new List<Entry>();
        using var reader = new TarReader(stream);
        while (reader.GetNextEntry() is { } entry)
        {
            var bytes = Array.Empty<byte>();
            if (entry.DataStream is { } data)
            {
                using var copy = new MemoryStream();
                data.CopyTo(copy);
                bytes = copy.ToArray();
            }

            entries.Add(new Entry(entry.Name, entry.EntryType, entry.Mode, entry.LinkName, entry.ModificationTime, entry.Uid, entry.Gid, bytes));
        }

        return entries;
    }

    private sealed record Entry(string Name, TarEntryType Type, UnixFileMode Mode, string LinkName, DateTimeOffset ModificationTime, int Uid, int Gid, byte[] Bytes)
    {
        public string Content => System.Text.Encoding.UTF8.GetString(Bytes);
    }
}
