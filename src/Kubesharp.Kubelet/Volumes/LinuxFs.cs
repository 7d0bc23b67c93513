using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

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
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var length = ReadAll("/proc/self/mountinfo", ref buffer);
            return ParseMountsUnder(buffer.AsSpan(0, length), root);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// <see cref="MountsUnder"/> over a mountinfo text. A node's table has a line or more per pod (its volumes, its
    /// sandbox's shm and network namespace), and every volume set-up reads it: lines are matched as UTF-8 bytes, and only
    /// the matching ones become strings (splitting every line cost 200 MB of garbage when a kubelet adopted 100 pods).
    /// </summary>
    internal static IReadOnlyList<(string MountPoint, string FsType)> ParseMountsUnder(ReadOnlySpan<byte> mountinfo, string root)
    {
        var exact = Encoding.UTF8.GetBytes(root.TrimEnd('/'));
        var found = new List<(string, string)>();
        while (!mountinfo.IsEmpty)
        {
            var newline = mountinfo.IndexOf((byte)'\n');
            var line = newline < 0 ? mountinfo : mountinfo[..newline];
            mountinfo = newline < 0 ? default : mountinfo[(newline + 1)..];
            if (ParseMountLine(line, exact) is { } mount)
            {
                found.Add(mount);
            }
        }

        return [.. found.OrderByDescending(m => m.Item1.Length)];
    }

    // id parent major:minor root mount-point options [optional fields...] - fstype source super-options
    private static (string MountPoint, string FsType)? ParseMountLine(ReadOnlySpan<byte> line, ReadOnlySpan<byte> exact)
    {
        var rest = line;
        ReadOnlySpan<byte> raw = default;
        for (var field = 0; field <= 4; field++)
        {
            var space = rest.IndexOf((byte)' ');
            if (space < 0)
            {
                return null;
            }

            if (field == 4)
            {
                raw = rest[..space];
            }

            rest = rest[(space + 1)..];
        }

        string mountPoint;
        if (raw.IndexOf((byte)'\\') < 0)
        {
            if (!IsAtOrUnder(raw, exact))
            {
                return null;
            }

            mountPoint = Encoding.UTF8.GetString(raw);
        }
        else
        {
            mountPoint = Unescape(Encoding.UTF8.GetString(raw));
            if (!IsAtOrUnder(Encoding.UTF8.GetBytes(mountPoint), exact))
            {
                return null;
            }
        }

        var fsType = "";
        if (rest.IndexOf(" - "u8) is var dash and >= 0)
        {
            var type = rest[(dash + 3)..];
            var space = type.IndexOf((byte)' ');
            fsType = Encoding.UTF8.GetString(space < 0 ? type : type[..space]);
        }

        return (mountPoint, fsType);
    }

    private static bool IsAtOrUnder(ReadOnlySpan<byte> path, ReadOnlySpan<byte> root) =>
        path.SequenceEqual(root) || (path.Length > root.Length && path.StartsWith(root) && path[root.Length] == (byte)'/');

    /// <summary>The whole of a file whose size the kernel does not report (<c>/proc</c>), into a pooled buffer it grows.</summary>
    private static int ReadAll(string path, ref byte[] buffer)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                buffer.AsSpan(0, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }

            var read = file.Read(buffer, length, buffer.Length - length);
            if (read == 0)
            {
                return length;
            }

            length += read;
        }
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
