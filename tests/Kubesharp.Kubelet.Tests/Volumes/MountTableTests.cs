using System.Text;
using Kubesharp.Kubelet.Volumes;

namespace Kubesharp.Kubelet.Tests.Volumes;

/// <summary><c>/proc/self/mountinfo</c> as the volumes read it: which mount points are at or under a directory.</summary>
public sealed class MountTableTests
{
    private const string Table =
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n" +
        "30 22 0:25 / /var/lib/kubesharp/pods/u1/volumes/kubernetes.io~projected/token rw,relatime shared:9 - tmpfs tmpfs rw,size=1024k\n" +
        "31 22 0:26 / /var/lib/kubesharp/pods/u1/volumes/kubernetes.io~empty-dir/cache rw,relatime - tmpfs tmpfs rw\n" +
        "32 31 0:27 / /var/lib/kubesharp/pods/u1/volumes/kubernetes.io~empty-dir/cache rw,relatime master:3 - ramfs none rw\n" +
        "33 22 0:28 / /var/lib/kubesharp/pods/u10/volumes/x rw - tmpfs tmpfs rw\n" +
        "34 22 0:29 / /var/lib/kubesharp/pods/u1/volumes/with\\040space rw - tmpfs tmpfs rw\n" +
        "35 22 0:30 / /var/lib/kubesharp/pods/u1/broken\n" +
        "36 22 0:31 / /var/lib/kubesharp/pods/u1/volumes/ünïcode rw - tmpfs tmpfs rw";

    private static IReadOnlyList<(string MountPoint, string FsType)> Under(string root) =>
        LinuxFs.ParseMountsUnder(Encoding.UTF8.GetBytes(Table), root);

    [Fact]
    public void Finds_the_mounts_under_a_directory_deepest_first_and_not_its_namesakes()
    {
        var mounts = Under("/var/lib/kubesharp/pods/u1/");

        Assert.Equal(
            [
                ("/var/lib/kubesharp/pods/u1/volumes/kubernetes.io~projected/token", "tmpfs"),
                ("/var/lib/kubesharp/pods/u1/volumes/kubernetes.io~empty-dir/cache", "tmpfs"),
                ("/var/lib/kubesharp/pods/u1/volumes/kubernetes.io~empty-dir/cache", "ramfs"),
                ("/var/lib/kubesharp/pods/u1/volumes/with space", "tmpfs"),
                ("/var/lib/kubesharp/pods/u1/volumes/ünïcode", "tmpfs"),
            ],
            mounts);
    }

    [Fact]
    public void A_directory_that_is_itself_a_mount_point_is_included()
    {
        Assert.Equal([("/var/lib/kubesharp/pods/u10/volumes/x", "tmpfs")], Under("/var/lib/kubesharp/pods/u10/volumes/x"));
        Assert.Empty(Under("/var/lib/kubesharp/pods/u2"));
    }

    [Fact]
    public void The_root_directory_holds_every_mount()
    {
        var mounts = Under("/");

        Assert.Equal(7, mounts.Count);
        Assert.Equal(("/", "ext4"), mounts[^1]);
    }

    [Fact]
    public void The_live_table_shows_the_root_file_system()
    {
        Assert.Contains(LinuxFs.MountsUnder("/"), m => m.MountPoint == "/");
    }
}
