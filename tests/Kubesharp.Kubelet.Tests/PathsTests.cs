namespace Kubesharp.Kubelet.Tests;

public sealed class PathsTests
{
    [Fact]
    public void Container_logs_follow_upstreams_var_log_pods_layout()
    {
        var paths = new KubeletPaths("/var/lib/kubesharp/kubelet");
        Assert.Equal("/var/lib/kubesharp/kubelet/logs/default_web_1234/nginx/2.log", paths.ContainerLogPath("default", "web", "1234", "nginx", 2));
        Assert.Equal("nginx/0.log", KubeletPaths.ContainerLogRelativePath("nginx", 0));
        Assert.Equal("/var/lib/kubesharp/kubelet/pods/1234/volumes/kubernetes.io~configmap/cfg", paths.VolumeDir("1234", "kubernetes.io~configmap", "cfg"));
    }
}
