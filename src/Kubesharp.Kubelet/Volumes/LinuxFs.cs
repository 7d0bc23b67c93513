using System.Runtime.InteropServices;

namespace Kubesharp.Kubelet.Volumes;

/// <summary>The file type of a path as <c>stat(2)</c> reports it (the <c>S_IFMT</c> bits).</summary>
internal enum FileKind
{
    Missing,
    Directory,
    File,
    Socket,
    CharDevice,
    BlockDevice,
    Symlink,
    Fifo,
    Unknown,
}

/// <summary>
/// The few Linux system calls the volumes need and .NET does not expose: mounting and unmounting tmpfs, the file type of
/// a path (sockets and devices included), atomic rename of a symlink over another, and the mount table. Stateless and
/// thread-safe; failures come back as <see cref="IOException"/> carrying the errno text.
/// </summary>
internal static partial class LinuxFs
{
    private const int ENOENT = 2;
    private const int EINVAL = 22;
    private const int AT_FDCWD = -100;
    private const int AT_SYMLINK_NOFOLLOW = 0x100;
    private const uint STATX_TYPE = 0x1;
    private const int MNT_DETACH = 2;

    /// <summary>EPERM: not root (or lacking CAP_SYS_ADMIN).</summary>
    public const int EPERM = 1;

    public static FileKind Kind(string path, bool followSymlinks = true)
    {
        Span<byte> buffer = stackalloc byte[256];
        int rc;
        unsafe
        {
            fixed (byte* b = buffer)
            {
                rc = Statx(AT_FDCWD, path, followSymlinks ? 0 : AT_SYMLINK_NOFOLLOW, STATX_TYPE, b);
            }
        }

        if (rc != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == ENOENT || errno == 20 /* ENOTDIR */ ? FileKind.Missing : throw Error("statx", path, errno);
        }

        // struct statx: stx_mode is the u16 at offset 28 on every architecture.
        var mode = BitConverter.ToUInt16(buffer[28..30]);
        return (mode & 0xF000) switch
        {
            0x4000 => FileKind.Directory,
            0x8000 => FileKind.File,
            0xC000 => FileKind.Socket,
            0x2000 => FileKind.CharDevice,
            0x6000 => FileKind.BlockDevice,
            0xA000 => FileKind.Symlink,
            0x1000 => FileKind.Fifo,
            _ => FileKind.Unknown,
        };
    }

    /// <summary>Mounts a tmpfs on <paramref name="target"/> with the given options (e.g. <c>size=1048576</c>).</summary>
    public static void MountTmpfs(string target, string? options)
    {
        if (Mount("tmpfs", target, "tmpfs", 0, options) != 0)
        {
            throw Error("mount tmpfs on", target, Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Unmounts <paramref name="target"/>; when it is busy, detaches it lazily as a last resort.</summary>
    public static void Unmount(string target)
    {
        if (Umount2(target, 0) == 0)
        {
            return;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == EINVAL)
        {
            return; // not a mount point (any more)
        }

        if (Umount2(target, MNT_DETACH) != 0)
        {
            throw Error("unmount", target, errno);
        }
    }

    /// <summary><c>rename(2)</c>: atomically replaces <paramref name="to"/> (a symlink is replaced, not followed).</summary>
    public static void Rename(string from, string to)
    {
        if (RenameNative(from, to) != 0)
        {
            throw Error("rename " + from + " to", to, Marshal.GetLastPInvokeError());
        }
    }

    /// <summary><c>realpath(3)</c>: the absolute path with every symlink resolved; throws when a component is missing.</summary>
    public static string RealPath(string path)
    {
        var result = RealPathNative(path, 0);
        if (result == 0)
        {
            throw Error("realpath", path, Marshal.GetLastPInvokeError());
        }

        try
        {
            return Marshal.PtrToStringUTF8(result)!;
        }
        finally
        {
            Free(result);
        }
    }

    /// <summary>
    /// The mount points at or under <paramref name="root"/> with their file system types, from <c>/proc/self/mountinfo</c>,
    /// deepest first (the order to unmount them in).
    /// </summary>
    public static IReadOnlyList<(string MountPoint, string FsType)> MountsUnder(string root)
    {
        var prefix = root.TrimEnd('/') + "/";
        var found = new List<(string, string)>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // id parent major:minor root mount-point options [optional fields...] - fstype source super-options
            var fields = line.Split(' ');
            if (fields.Length < 7)
            {
                continue;
            }

            var mountPoint = Unescape(fields[4]);
            var dash = Array.IndexOf(fields, "-", 6);
            var fsType = dash > 0 && dash + 1 < fields.Length ? fields[dash + 1] : "";
            if (mountPoint == root.TrimEnd('/') || mountPoint.StartsWith(prefix, StringComparison.Ordinal))
            {
                found.Add((mountPoint, fsType));
            }
        }

        return [.. found.OrderByDescending(m => m.Item1.Length)];
    }

    /// <summary>The file system type mounted exactly on <paramref name="path"/>, or null when it is not a mount point.</summary>
    public static string? MountedFsType(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd('/');
        string? type = null;
        foreach (var (mountPoint, fsType) in MountsUnder(full))
        {
            if (mountPoint == full)
            {
                type = fsType; // the last (topmost) mount wins; MountsUnder keeps file order for equal lengths
            }
        }

        return type;
    }

    // mountinfo escapes space, tab, newline and backslash as \ooo.
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var sb = new System.Text.StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                sb.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                sb.Append(field[i]);
            }
        }

        return sb.ToString();
    }

    private static bool IsOctal(string s, int at) =>
        at + 3 <= s.Length && s[at] is >= '0' and <= '7' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';

    private static IOException Error(string what, string path, int errno) =>
        new($"{what} {path}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mount(string source, string target, string fsType, nuint flags, string? data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Umount2(string target, int flags);

    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint RealPathNative(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint pointer);

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameNative(string from, string to);
}
