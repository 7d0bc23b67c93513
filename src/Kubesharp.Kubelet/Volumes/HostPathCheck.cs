namespace Kubesharp.Kubelet.Volumes;

/// <summary>
/// Upstream's hostPath type check (<c>checkType</c> in <c>pkg/volume/hostpath/host_path.go</c>, v1.32 messages):
/// <c>""</c> checks nothing; DirectoryOrCreate and FileOrCreate create what is missing (a 0755 directory with its
/// parents, an empty 0644 file in an existing directory); every other type must already be there as that kind of file.
/// Symlinks are followed, as <c>stat</c> does. Stateless; a failure is a <see cref="PayloadException"/> with upstream's
/// message.
/// </summary>
internal static class HostPathCheck
{
    public static void Check(string path, string? type)
    {
        switch (type ?? "")
        {
            case "":
                return;
            case "DirectoryOrCreate":
                if (LinuxFs.Kind(path) == FileKind.Missing)
                {
                    var dir = Directory.CreateDirectory(path);
                    File.SetUnixFileMode(dir.FullName, (UnixFileMode)0x1ED); // 0755, whatever the umask
                    return;
                }

                Expect(path, FileKind.Directory, "directory");
                return;
            case "Directory":
                Expect(path, FileKind.Directory, "directory");
                return;
            case "FileOrCreate":
                if (LinuxFs.Kind(path) == FileKind.Missing)
                {
                    // Upstream opens with O_CREATE and mode 0644: the parent must exist.
                    using (new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.None)) { }
                    File.SetUnixFileMode(path, (UnixFileMode)0x1A4);
                    return;
                }

                Expect(path, FileKind.File, "file");
                return;
            case "File":
                Expect(path, FileKind.File, "file");
                return;
            case "Socket":
                Expect(path, FileKind.Socket, "socket file");
                return;
            case "CharDevice":
                Expect(path, FileKind.CharDevice, "character device");
                return;
            case "BlockDevice":
                Expect(path, FileKind.BlockDevice, "block device");
                return;
            default:
                throw new PayloadException($"{type} is an invalid volume type");
        }
    }

    private static void Expect(string path, FileKind kind, string description)
    {
        if (LinuxFs.Kind(path) != kind)
        {
            throw new PayloadException($"hostPath type check failed: {path} is not a {description}");
        }
    }
}
