using System.Runtime.InteropServices;

namespace Kubesharp.Images;

/// <summary>
/// The type of a file that .NET's <see cref="FileSystemInfo"/> does not tell apart on Linux (a FIFO, a socket
/// and a device all look like files), with a device's numbers. Read with <c>statx(2)</c>, whose buffer layout,
/// unlike <c>struct stat</c>'s, is the same on every architecture (in native byte order).
/// </summary>
internal readonly record struct FileKind(FileKind.Type Kind, uint DeviceMajor, uint DeviceMinor)
{
    public enum Type
    {
        Regular,
        Directory,
        SymbolicLink,
        CharacterDevice,
        BlockDevice,
        Fifo,
        Socket,
    }

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int StatxSize = 256;
    private const int ModeOffset = 28;
    private const int RdevMajorOffset = 128;
    private const int RdevMinorOffset = 132;

    /// <summary>The kind of <paramref name="path"/> itself (a symbolic link is not followed).</summary>
    /// <exception cref="IOException">statx failed (the file vanished, no permission).</exception>
    public static FileKind Of(string path)
    {
        var buffer = new byte[StatxSize];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, buffer) != 0)
        {
            throw new IOException($"statx {path}: errno {Marshal.GetLastPInvokeError()}");
        }

        var mode = MemoryMarshal.Read<ushort>(buffer.AsSpan(ModeOffset));
        var major = MemoryMarshal.Read<uint>(buffer.AsSpan(RdevMajorOffset));
        var minor = MemoryMarshal.Read<uint>(buffer.AsSpan(RdevMinorOffset));
        var kind = (mode & 0xF000) switch
        {
            0x4000 => Type.Directory,
            0xA000 => Type.SymbolicLink,
            0x2000 => Type.CharacterDevice,
            0x6000 => Type.BlockDevice,
            0x1000 => Type.Fifo,
            0xC000 => Type.Socket,
            _ => Type.Regular,
        };
        return new FileKind(kind, major, minor);
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
}
