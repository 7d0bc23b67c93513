namespace Kubesharp.Api.Tests.Printing;

/// <summary>Golden rows for the core/v1 kinds other than pods and events.</summary>
public sealed class CorePrinterTests
{
    private const string Meta = """ "metadata":{"name":"x","creationTimestamp":"2025-06-01T11:55:00Z"} """;

    [Theory]
    [InlineData("namespace", "Namespace", "{" + Meta + """, "status":{"phase":"Active"} }""", """["x","Active","5m"]""")]
    [InlineData("configmap counts data and binaryData", "ConfigMap", "{" + Meta + """, "data":{"a":"1","b":"2"}, "binaryData":{"c":"AA=="} }""", """["x",3,"5m"]""")]
    [InlineData("empty configmap", "ConfigMap", "{" + Meta + "}", """["x",0,"5m"]""")]
    [InlineData("secret", "Secret", "{" + Meta + """, "type":"kubernetes.io/tls", "data":{"tls.crt":"AA==","tls.key":"AA=="} }""", """["x","kubernetes.io/tls",2,"5m"]""")]
    [InlineData("service account", "ServiceAccount", "{" + Meta + """, "secrets":[{"name":"t"}] }""", """["x",1,"5m"]""")]
    [InlineData("endpoints without subsets", "Endpoints", "{" + Meta + "}", """["x","<none>","5m"]""")]
    [InlineData("endpoints with ports", "Endpoints", "{" + Meta + """, "subsets":[{"addresses":[{"ip":"10.0.0.1"},{"ip":"fd00::2"}],"ports":[{"port":80}]}] }""",
        """["x","10.0.0.1:80,[fd00::2]:80","5m"]""")]
    [InlineData("endpoints beyond three", "Endpoints", "{" + Meta + """, "subsets":[{"addresses":[{"ip":"10.0.0.1"},{"ip":"10.0.0.2"}],"ports":[{"port":80},{"port":443}]},{"addresses":[{"ip":"10.0.0.3"}]}] }""",
        """["x","10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 2 more...","5m"]""")]
    [InlineData("headless endpoints without ports", "Endpoints", "{" + Meta + """, "subsets":[{"addresses":[{"ip":"10.0.0.1"}]}] }""", """["x","10.0.0.1","5m"]""")]
    [InlineData("endpoints with no addresses yet", "Endpoints", "{" + Meta + """, "subsets":[{"notReadyAddresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80}]}] }""", """["x","","5m"]""")]
    [InlineData("replication controller", "ReplicationController",
        "{" + Meta + """, "spec":{"replicas":3,"selector":{"b":"2","a":"1"},"template":{"spec":{"containers":[{"name":"c","image":"nginx"},{"name":"d","image":"busybox"}]}}}, "status":{"replicas":3,"readyReplicas":2} }""",
        """["x",3,3,2,"5m","c,d","nginx,busybox","a=1,b=2"]""")]
    [InlineData("resource quota", "ResourceQuota",
        "{" + Meta + """, "status":{"hard":{"pods":"10","limits.cpu":"2","requests.memory":"1Gi","limits.memory":"2Gi"},"used":{"pods":"3","limits.cpu":"500m","limits.memory":"0"}} }""",
        """["x","pods: 3/10, requests.memory: 0/1Gi","limits.cpu: 500m/2, limits.memory: 0/2Gi","5m"]""")]
    [InlineData("bound persistent volume", "PersistentVolume",
        "{" + Meta + """, "spec":{"capacity":{"storage":"10Gi"},"accessModes":["ReadWriteMany","ReadWriteOnce","ReadWriteOnce"],"persistentVolumeReclaimPolicy":"Retain","storageClassName":"fast","claimRef":{"namespace":"ns","name":"data"},"volumeMode":"Filesystem"}, "status":{"phase":"Bound"} }""",
        """["x","10Gi","RWO,RWX","Retain","Bound","ns/data","fast","<unset>","","5m","Filesystem"]""")]
    [InlineData("terminating persistent volume with the beta class annotation", "PersistentVolume",
        """{"metadata":{"name":"x","creationTimestamp":"2025-06-01T11:55:00Z","deletionTimestamp":"2025-06-01T11:59:00Z","annotations":{"volume.beta.kubernetes.io/storage-class":"old"}}, "spec":{"storageClassName":"fast","volumeAttributesClassName":"gold"}, "status":{"phase":"Released","reason":"x"} }""",
        """["x","0","","","Terminating","","old","gold","x","5m","<unset>"]""")]
    [InlineData("bound claim", "PersistentVolumeClaim",
        "{" + Meta + """, "spec":{"volumeName":"pv-1","storageClassName":"fast","resources":{"requests":{"storage":"1Gi"}},"volumeMode":"Block"}, "status":{"phase":"Bound","capacity":{"storage":"2Gi"},"accessModes":["ReadWriteOncePod"]} }""",
        """["x","Bound","pv-1","2Gi","RWOP","fast","<unset>","5m","Block"]""")]
    [InlineData("pending claim shows no capacity", "PersistentVolumeClaim",
        "{" + Meta + """, "spec":{"resources":{"requests":{"storage":"1Gi"}}}, "status":{"phase":"Pending"} }""",
        """["x","Pending","","","","","<unset>","5m","<unset>"]""")]
    public void Rows(string name, string kind, string json, string expected) => Golden.Assert(name, "", kind, json, expected);

    [Theory]
    [InlineData("cluster IP service", """{"type":"ClusterIP","clusterIP":"10.96.0.10","clusterIPs":["10.96.0.10"],"selector":{"app":"web"},"ports":[{"port":80,"protocol":"TCP"},{"port":53,"protocol":"UDP"}]}""", "{}",
        """["x","ClusterIP","10.96.0.10","<none>","80/TCP,53/UDP","5m","app=web"]""")]
    [InlineData("headless service", """{"type":"ClusterIP","clusterIP":"None","clusterIPs":["None"]}""", "{}",
        """["x","ClusterIP","None","<none>","<none>","5m","<none>"]""")]
    [InlineData("cluster IP from before it was plural", """{"type":"ClusterIP","clusterIP":"10.96.0.11"}""", "{}",
        """["x","ClusterIP","10.96.0.11","<none>","<none>","5m","<none>"]""")]
    [InlineData("node port with external IPs", """{"type":"NodePort","clusterIPs":["10.96.0.12"],"externalIPs":["1.2.3.4","5.6.7.8"],"ports":[{"port":80,"nodePort":30080,"protocol":"TCP"}]}""", "{}",
        """["x","NodePort","10.96.0.12","1.2.3.4,5.6.7.8","80:30080/TCP","5m","<none>"]""")]
    [InlineData("load balancer still pending", """{"type":"LoadBalancer","clusterIPs":["10.96.0.13"],"ports":[{"port":443,"nodePort":31443,"protocol":"TCP"}]}""", "{}",
        """["x","LoadBalancer","10.96.0.13","<pending>","443:31443/TCP","5m","<none>"]""")]
    [InlineData("load balancer ingress sorted, never clipped", """{"type":"LoadBalancer","clusterIPs":["10.96.0.14"]}""",
        """{"loadBalancer":{"ingress":[{"hostname":"a-very-long-load-balancer.example.com"},{"ip":"203.0.113.9"}]}}""",
        """["x","LoadBalancer","10.96.0.14","203.0.113.9,a-very-long-load-balancer.example.com","<none>","5m","<none>"]""")]
    [InlineData("load balancer plus external IPs", """{"type":"LoadBalancer","clusterIPs":["10.96.0.15"],"externalIPs":["1.2.3.4"]}""",
        """{"loadBalancer":{"ingress":[{"ip":"203.0.113.9"}]}}""",
        """["x","LoadBalancer","10.96.0.15","203.0.113.9,1.2.3.4","<none>","5m","<none>"]""")]
    [InlineData("external name", """{"type":"ExternalName","externalName":"db.example.com"}""", "{}",
        """["x","ExternalName","<none>","db.example.com","<none>","5m","<none>"]""")]
    [InlineData("no type", "{}", "{}", """["x","","<none>","<unknown>","<none>","5m","<none>"]""")]
    public void Services(string name, string spec, string status, string expected) =>
        Golden.Assert(name, "", "Service", "{" + Meta + ", \"spec\":" + spec + ", \"status\":" + status + "}", expected);

    [Theory]
    [InlineData("ready worker", """{"node-role.kubernetes.io/worker":"","kubernetes.io/role":"gpu"}""", "{}",
        """{"conditions":[{"type":"MemoryPressure","status":"False"},{"type":"Ready","status":"True"}],"addresses":[{"type":"Hostname","address":"n1"},{"type":"InternalIP","address":"10.0.0.5"}],"nodeInfo":{"kubeletVersion":"v1.32.0","osImage":"Ubuntu 24.04","kernelVersion":"6.8.0","containerRuntimeVersion":"containerd://2.0.0"}}""",
        """["x","Ready","gpu,worker","5m","v1.32.0","10.0.0.5","<none>","Ubuntu 24.04","6.8.0","containerd://2.0.0"]""")]
    [InlineData("cordoned and not ready", """{"node-role.kubernetes.io/":"","node-role.kubernetes.io/control-plane":""}""", """{"unschedulable":true}""",
        """{"conditions":[{"type":"Ready","status":"Unknown"}],"addresses":[{"type":"ExternalIP","address":"203.0.113.1"}]}""",
        """["x","NotReady,SchedulingDisabled","control-plane","5m","","<none>","203.0.113.1","<unknown>","<unknown>","<unknown>"]""")]
    [InlineData("no conditions yet", "{}", "{}", "{}",
        """["x","Unknown","<none>","5m","","<none>","<none>","<unknown>","<unknown>","<unknown>"]""")]
    public void Nodes(string name, string labels, string spec, string status, string expected) =>
        Golden.Assert(name, "", "Node",
            $$"""{"metadata":{"name":"x","creationTimestamp":"{{Golden.Created}}","labels":{{labels}}},"spec":{{spec}},"status":{{status}}}""",
            expected);
}
