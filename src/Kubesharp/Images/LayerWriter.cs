using System.Formats.Tar;

namespace Kubesharp.Images;

/// <summary>
/// Writes a root filesystem directory as one uncompressed image layer: directories, regular files, symbolic links
/// (kept as links, never followed), devices and FIFOs, with their permission bits. Everything that would make two
/// builds of the same tree differ is fixed: entries in ordinal path order, modification times at <see cref="Epoch"/>,
/// owner and group 0 (root) without names. Hard links are written as separate files with the same content.
/// </summary>
internal static class LayerWriter
{
    /// <summary>The modification time of every entry, and the image's creation time.</summary>
    public static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;

    private const UnixFileMode AllPermissions = (UnixFileMode)0b111_111_111;

    /// <exception cref="DirectoryNotFoundException"><paramref name="rootfs"/> does not exist.</exception>
    /// <exception cref="NotSupportedException">The tree holds a socket (which no layer can carry).</exception>
    public static void Write(string rootfs, Stream output)
    {
        var root = new DirectoryInfo(rootfs);
        if (!root.Exists)
        {
            throw new DirectoryNotFoundException($"root filesystem {rootfs} does not exist");
        }

        using var tar = new TarWriter(output, TarEntryFormat.Gnu, leaveOpen: true);
        WriteChildren(tar, root, "");
    }

    private static void WriteChildren(TarWriter tar, DirectoryInfo dir, string prefix)
    {
        foreach (var child in dir.EnumerateFileSystemInfos().OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            var name = prefix + child.Name;
            var kind = FileKind.Of(child.FullName);
            switch (kind.Kind)
            {
                case FileKind.Type.SymbolicLink:
                    var link = Entry(TarEntryType.SymbolicLink, name, AllPermissions);
                    link.LinkName = child.LinkTarget!;
                    tar.WriteEntry(link);
                    break;
                case FileKind.Type.Directory:
                    tar.WriteEntry(Entry(TarEntryType.Directory, name + "/", child.UnixFileMode));
                    WriteChildren(tar, (DirectoryInfo)child, name + "/");
                    break;
                case FileKind.Type.CharacterDevice or FileKind.Type.BlockDevice:
                    var device = Entry(kind.Kind == FileKind.Type.CharacterDevice ? TarEntryType.CharacterDevice : TarEntryType.BlockDevice, name, child.UnixFileMode);
                    device.DeviceMajor = (int)kind.DeviceMajor;
                    device.DeviceMinor = (int)kind.DeviceMinor;
                    tar.WriteEntry(device);
                    break;
                case FileKind.Type.Fifo:
                    tar.WriteEntry(Entry(TarEntryType.Fifo, name, child.UnixFileMode));
                    break;
                case FileKind.Type.Socket:
                    throw new NotSupportedException($"{child.FullName} is a socket, which an image layer cannot hold");
                default:
                    var file = Entry(TarEntryType.RegularFile, name, child.UnixFileMode);
                    using (var content = File.OpenRead(child.FullName))
                    {
                        file.DataStream = content;
                        tar.WriteEntry(file);
                    }

                    break;
            }
        }
    }

    private static GnuTarEntry Entry(TarEntryType type, string name, UnixFileMode mode) =>
        // GNU format, not PAX: .NET names each PAX extended header after the writing process's id, which would make
        // every build differ; GNU long names (././@LongLink) carry nothing variable. All three times are fixed.
        new(type, name)
        {
            ModificationTime = Epoch,
            AccessTime = Epoch,
            ChangeTime = Epoch,
            Uid = 0,
            Gid = 0,
            Mode = mode,
        };
}
