using System.Globalization;

namespace Kubesharp.Kubelet.Volumes;

/// <summary>One file of a projected payload: its bytes and its permission bits.</summary>
internal readonly record struct FileProjection(byte[] Data, int Mode);

/// <summary>
/// Upstream's <c>AtomicWriter</c> (<c>pkg/volume/util/atomic_writer.go</c>): projects a set of files into a volume
/// directory so that a reader never sees a half-written update. The real files live in a hidden timestamped directory
/// (<c>..2026_01_02_03_04_05.123456789</c>); <c>..data</c> is a symlink to it, and every top-level user-visible name is a
/// symlink through <c>..data</c> (<c>key -&gt; ..data/key</c>). An update writes a new timestamped directory, points a
/// <c>..data_tmp</c> symlink at it and renames that over <c>..data</c> (one atomic step), then prunes names that left the
/// payload and removes the old directory. Names starting with <c>..</c> are reserved.
/// </summary>
/// <remarks>
/// Not thread-safe: one writer per directory at a time (the <see cref="VolumeManager"/> serialises per pod). A write whose
/// payload equals what is on disk (same paths, same bytes) changes nothing, as upstream.
/// </remarks>
internal sealed class AtomicWriter(string targetDir, TimeProvider time)
{
    public const string DataDirName = "..data";
    private const string NewDataDirName = "..data_tmp";
    private const int MaxFileNameLength = 255;
    private const int MaxPathLength = 4096;

    /// <summary>Writes <paramref name="payload"/>; returns whether anything changed on disk.</summary>
    public bool Write(IReadOnlyDictionary<string, FileProjection> payload)
    {
        var clean = new Dictionary<string, FileProjection>(StringComparer.Ordinal);
        foreach (var (path, projection) in payload)
        {
            ValidatePath(path);
            clean[CleanPath(path)] = projection;
        }

        var dataDirPath = Path.Combine(targetDir, DataDirName);
        var oldTsDir = ReadLink(dataDirPath);
        var oldTsPath = oldTsDir is null ? null : Path.Combine(targetDir, oldTsDir);
        var toRemove = new HashSet<string>(StringComparer.Ordinal);
        if (oldTsPath is not null)
        {
            toRemove = PathsToRemove(clean, oldTsPath);
            if (!ShouldWrite(clean, oldTsPath) && toRemove.Count == 0)
            {
                return false;
            }
        }

        var tsDir = NewTimestampDir();
        var tsDirName = Path.GetFileName(tsDir);
        try
        {
            WritePayload(clean, tsDir);
            var newDataDirPath = Path.Combine(targetDir, NewDataDirName);
            if (LinuxFs.Kind(newDataDirPath, followSymlinks: false) != FileKind.Missing)
            {
                File.Delete(newDataDirPath); // left by an interrupted write
            }

            File.CreateSymbolicLink(newDataDirPath, tsDirName);
            LinuxFs.Rename(newDataDirPath, dataDirPath);
        }
        catch
        {
            Directory.Delete(tsDir, recursive: true);
            throw;
        }

        CreateUserVisibleFiles(clean);
        foreach (var path in toRemove)
        {
            // Only the top-level links are user-visible; deeper paths vanish with the old directory.
            if (!path.Contains('/', StringComparison.Ordinal))
            {
                File.Delete(Path.Combine(targetDir, path));
            }
        }

        if (oldTsPath is not null && oldTsDir != tsDirName && Directory.Exists(oldTsPath))
        {
            Directory.Delete(oldTsPath, recursive: true);
        }

        return true;
    }

    /// <summary>Upstream's <c>validatePath</c>, with its messages.</summary>
    public static void ValidatePath(string targetPath)
    {
        if (targetPath.Length == 0)
        {
            throw new InvalidDataException("invalid path: must not be empty: \"\"");
        }

        if (targetPath.StartsWith('/'))
        {
            throw new InvalidDataException($"invalid path: must be relative path: {targetPath}");
        }

        if (targetPath.Length > MaxPathLength)
        {
            throw new InvalidDataException($"invalid path: must be less than or equal to {MaxPathLength} characters");
        }

        var items = targetPath.Split('/');
        foreach (var item in items)
        {
            if (item == "..")
            {
                throw new InvalidDataException($"invalid path: must not contain '..': {targetPath}");
            }

            if (item.Length > MaxFileNameLength)
            {
                throw new InvalidDataException($"invalid path: filenames must be less than or equal to {MaxFileNameLength} characters");
            }
        }

        if (items[0].StartsWith("..", StringComparison.Ordinal) && items[0].Length > 2)
        {
            throw new InvalidDataException($"invalid path: must not start with '..': {targetPath}");
        }
    }

    // Go's filepath.Clean for relative paths without "..": drops empty and "." elements.
    private static string CleanPath(string path) => string.Join('/', path.Split('/').Where(p => p.Length > 0 && p != "."));

    private static string? ReadLink(string path)
    {
        if (LinuxFs.Kind(path, followSymlinks: false) != FileKind.Symlink)
        {
            return null;
        }

        return new FileInfo(path).LinkTarget;
    }

    private static bool ShouldWrite(Dictionary<string, FileProjection> payload, string oldTsDir)
    {
        foreach (var (path, projection) in payload)
        {
            var onDisk = Path.Combine(oldTsDir, path);
            if (!File.Exists(onDisk) || !File.ReadAllBytes(onDisk).AsSpan().SequenceEqual(projection.Data))
            {
                return true;
            }
        }

        return false;
    }

    private static HashSet<string> PathsToRemove(Dictionary<string, FileProjection> payload, string oldTsDir)
    {
        var existing = new HashSet<string>(StringComparer.Ordinal);
        if (!Directory.Exists(oldTsDir))
        {
            return existing;
        }

        foreach (var entry in Directory.EnumerateFileSystemEntries(oldTsDir, "*", SearchOption.AllDirectories))
        {
            existing.Add(Path.GetRelativePath(oldTsDir, entry));
        }

        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in payload.Keys)
        {
            // Every ancestor of a payload path stays, so that no non-empty directory is removed.
            for (var sub = file; sub.Length > 0; sub = Path.GetDirectoryName(sub) ?? "")
            {
                wanted.Add(sub);
            }
        }

        existing.ExceptWith(wanted);
        return existing;
    }

    private string NewTimestampDir()
    {
        var now = time.GetUtcNow().UtcDateTime;
        var prefix = now.ToString("..yyyy_MM_dd_HH_mm_ss.", CultureInfo.InvariantCulture);
        while (true)
        {
            // Upstream's os.MkdirTemp appends a random number to the timestamp.
            var candidate = Path.Combine(targetDir, prefix + Random.Shared.NextInt64(0, 10_000_000_000).ToString(CultureInfo.InvariantCulture));
            if (Directory.Exists(candidate))
            {
                continue;
            }

            var dir = Directory.CreateDirectory(candidate);
            // 0755 so that group and others can walk the tree whatever the umask.
            File.SetUnixFileMode(dir.FullName, (UnixFileMode)Convert.ToInt32("755", 8));
            return dir.FullName;
        }
    }

    private static void WritePayload(Dictionary<string, FileProjection> payload, string dir)
    {
        foreach (var (path, projection) in payload)
        {
            var full = Path.Combine(dir, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, projection.Data);
            // Set explicitly: the create honoured the umask, the volume wants the exact mode.
            File.SetUnixFileMode(full, (UnixFileMode)(projection.Mode & 0xFFF));
        }
    }

    private void CreateUserVisibleFiles(Dictionary<string, FileProjection> payload)
    {
        foreach (var path in payload.Keys)
        {
            var slash = path.IndexOf('/', StringComparison.Ordinal);
            var linkName = slash < 0 ? path : path[..slash];
            var visible = Path.Combine(targetDir, linkName);
            if (LinuxFs.Kind(visible, followSymlinks: false) == FileKind.Missing)
            {
                File.CreateSymbolicLink(visible, DataDirName + "/" + linkName);
            }
        }
    }
}
