/**
 * Every directive systemd 252 knows, by section, with its value kind.
 * Generated from `systemd --dump-configuration-items` (data, not code); the contexts
 * several unit types share (exec, resource control, kill) are written once.
 * @module
 */

/** The exec context (`ExecContext`): what runs the processes of a service, socket, mount or swap. */
const EXEC_CONTEXT =
  "WorkingDirectory:OTHER RootDirectory:PATH RootImage:PATH RootImageOptions:OTHER " +
  "RootHash:OTHER RootHashSignature:OTHER RootVerity:PATH ExtensionDirectories:PATH " +
  "ExtensionImages:OTHER MountImages:OTHER User:OTHER Group:OTHER " +
  "SupplementaryGroups:OTHER Nice:NICE OOMScoreAdjust:OOMSCOREADJUST " +
  "CoredumpFilter:OTHER IOSchedulingClass:IOCLASS IOSchedulingPriority:IOPRIORITY " +
  "CPUSchedulingPolicy:CPUSCHEDPOLICY CPUSchedulingPriority:CPUSCHEDPRIO " +
  "CPUSchedulingResetOnFork:BOOLEAN CPUAffinity:CPUAFFINITY NUMAPolicy:OTHER " +
  "NUMAMask:OTHER UMask:MODE Environment:ENVIRON EnvironmentFile:FILE " +
  "PassEnvironment:OTHER UnsetEnvironment:OTHER DynamicUser:BOOLEAN RemoveIPC:BOOLEAN " +
  "StandardInput:INPUT StandardOutput:OUTPUT StandardError:OUTPUT " +
  "StandardInputText:OTHER StandardInputData:OTHER TTYPath:PATH TTYReset:BOOLEAN " +
  "TTYVHangup:BOOLEAN TTYVTDisallocate:BOOLEAN TTYRows:OTHER TTYColumns:OTHER " +
  "SyslogIdentifier:STRING SyslogFacility:FACILITY SyslogLevel:LEVEL " +
  "SyslogLevelPrefix:BOOLEAN LogLevelMax:LEVEL LogRateLimitIntervalSec:SECONDS " +
  "LogRateLimitBurst:UNSIGNED LogExtraFields:OTHER SecureBits:SECUREBITS " +
  "CapabilityBoundingSet:BOUNDINGSET AmbientCapabilities:BOUNDINGSET " +
  "TimerSlackNSec:NANOSECONDS NoNewPrivileges:BOOLEAN KeyringMode:OTHER " +
  "ProtectProc:OTHER ProcSubset:OTHER SystemCallFilter:SYSCALLS " +
  "SystemCallArchitectures:ARCHS SystemCallErrorNumber:ERRNO SystemCallLog:SYSCALLS " +
  "MemoryDenyWriteExecute:BOOLEAN RestrictNamespaces:NAMESPACES RestrictRealtime:BOOLEAN " +
  "RestrictSUIDSGID:BOOLEAN RestrictAddressFamilies:FAMILIES LockPersonality:BOOLEAN " +
  "RestrictFileSystems:FILESYSTEMS LimitCPU:LIMIT LimitFSIZE:LIMIT LimitDATA:LIMIT " +
  "LimitSTACK:LIMIT LimitCORE:LIMIT LimitRSS:LIMIT LimitNOFILE:LIMIT LimitAS:LIMIT " +
  "LimitNPROC:LIMIT LimitMEMLOCK:LIMIT LimitLOCKS:LIMIT LimitSIGPENDING:LIMIT " +
  "LimitMSGQUEUE:LIMIT LimitNICE:LIMIT LimitRTPRIO:LIMIT LimitRTTIME:LIMIT " +
  "ReadWriteDirectories:PATH ReadOnlyDirectories:PATH InaccessibleDirectories:PATH " +
  "ReadWritePaths:PATH ReadOnlyPaths:PATH InaccessiblePaths:PATH ExecPaths:PATH " +
  "NoExecPaths:PATH ExecSearchPath:PATH BindPaths:PATH[:PATH[:OPTIONS]] " +
  "BindReadOnlyPaths:PATH[:PATH[:OPTIONS]] TemporaryFileSystem:OTHER PrivateTmp:BOOLEAN " +
  "PrivateDevices:BOOLEAN ProtectKernelTunables:BOOLEAN ProtectKernelModules:BOOLEAN " +
  "ProtectKernelLogs:BOOLEAN ProtectClock:BOOLEAN ProtectControlGroups:BOOLEAN " +
  "NetworkNamespacePath:PATH IPCNamespacePath:PATH LogNamespace:OTHER " +
  "PrivateNetwork:BOOLEAN PrivateUsers:BOOLEAN PrivateMounts:BOOLEAN PrivateIPC:BOOLEAN " +
  "ProtectSystem:OTHER ProtectHome:OTHER MountFlags:MOUNTFLAG MountAPIVFS:OTHER " +
  "Personality:PERSONALITY RuntimeDirectoryPreserve:OTHER RuntimeDirectoryMode:MODE " +
  "RuntimeDirectory:OTHER StateDirectoryMode:MODE StateDirectory:OTHER " +
  "CacheDirectoryMode:MODE CacheDirectory:OTHER LogsDirectoryMode:MODE " +
  "LogsDirectory:OTHER ConfigurationDirectoryMode:MODE ConfigurationDirectory:OTHER " +
  "SetCredential:OTHER SetCredentialEncrypted:OTHER LoadCredential:OTHER " +
  "LoadCredentialEncrypted:OTHER TimeoutCleanSec:SECONDS PAMName:STRING " +
  "IgnoreSIGPIPE:BOOLEAN UtmpIdentifier:STRING UtmpMode:OTHER SELinuxContext:LABEL " +
  "AppArmorProfile:OTHER SmackProcessLabel:OTHER ProtectHostname:BOOLEAN";

/** The resource-control context (`CGroupContext`) of every unit with processes and of slices. */
const CGROUP_CONTEXT =
  "Slice:SLICE AllowedCPUs:OTHER StartupAllowedCPUs:OTHER AllowedMemoryNodes:OTHER " +
  "StartupAllowedMemoryNodes:OTHER CPUAccounting:BOOLEAN CPUWeight:CPUWEIGHT " +
  "StartupCPUWeight:CPUWEIGHT CPUShares:SHARES StartupCPUShares:SHARES CPUQuota:OTHER " +
  "CPUQuotaPeriodSec:OTHER MemoryAccounting:BOOLEAN MemoryMin:LIMIT " +
  "DefaultMemoryMin:LIMIT DefaultMemoryLow:LIMIT MemoryLow:LIMIT MemoryHigh:LIMIT " +
  "MemoryMax:LIMIT MemorySwapMax:LIMIT MemoryLimit:LIMIT DeviceAllow:DEVICE " +
  "DevicePolicy:POLICY IOAccounting:BOOLEAN IOWeight:WEIGHT StartupIOWeight:WEIGHT " +
  "IODeviceWeight:DEVICEWEIGHT IOReadBandwidthMax:LIMIT IOWriteBandwidthMax:LIMIT " +
  "IOReadIOPSMax:LIMIT IOWriteIOPSMax:LIMIT IODeviceLatencyTargetSec:DEVICELATENCY " +
  "BlockIOAccounting:BOOLEAN BlockIOWeight:WEIGHT StartupBlockIOWeight:WEIGHT " +
  "BlockIODeviceWeight:DEVICEWEIGHT BlockIOReadBandwidth:BANDWIDTH " +
  "BlockIOWriteBandwidth:BANDWIDTH TasksAccounting:BOOLEAN TasksMax:OTHER Delegate:OTHER " +
  "DisableControllers:OTHER IPAccounting:BOOLEAN IPAddressAllow:OTHER " +
  "IPAddressDeny:OTHER IPIngressFilterPath:OTHER IPEgressFilterPath:OTHER " +
  "ManagedOOMSwap:OTHER ManagedOOMMemoryPressure:OTHER " +
  "ManagedOOMMemoryPressureLimit:OTHER ManagedOOMPreference:OTHER BPFProgram:OTHER " +
  "SocketBindAllow:OTHER SocketBindDeny:OTHER RestrictNetworkInterfaces:OTHER";

/** The kill context (`KillContext`): how the processes are stopped. */
const KILL_CONTEXT = "SendSIGKILL:BOOLEAN SendSIGHUP:BOOLEAN KillMode:KILLMODE KillSignal:SIGNAL " +
  "RestartKillSignal:SIGNAL FinalKillSignal:SIGNAL WatchdogSignal:SIGNAL";

/** Section -> "Key:KIND Key:KIND ...". */
export const KNOWN_DIRECTIVES: Readonly<Record<string, string>> = {
  Unit: "Description:STRING Documentation:URL SourcePath:PATH Requires:UNIT Requisite:UNIT " +
    "Wants:UNIT BindsTo:UNIT BindTo:UNIT Upholds:UNIT Conflicts:UNIT Before:UNIT " +
    "After:UNIT OnSuccess:UNIT OnFailure:UNIT PropagatesReloadTo:UNIT " +
    "PropagateReloadTo:UNIT ReloadPropagatedFrom:UNIT PropagateReloadFrom:UNIT " +
    "PropagatesStopTo:UNIT StopPropagatedFrom:UNIT PartOf:UNIT JoinsNamespaceOf:UNIT " +
    "RequiresOverridable:OTHER RequisiteOverridable:OTHER RequiresMountsFor:PATH " +
    "StopWhenUnneeded:BOOLEAN RefuseManualStart:BOOLEAN RefuseManualStop:BOOLEAN " +
    "AllowIsolate:BOOLEAN DefaultDependencies:BOOLEAN OnSuccessJobMode:MODE " +
    "OnFailureJobMode:MODE OnFailureIsolate:BOOLEAN IgnoreOnIsolate:BOOLEAN " +
    "JobTimeoutSec:OTHER JobRunningTimeoutSec:OTHER JobTimeoutAction:ACTION " +
    "JobTimeoutRebootArgument:OTHER StartLimitIntervalSec:SECONDS " +
    "StartLimitInterval:SECONDS StartLimitBurst:UNSIGNED StartLimitAction:ACTION " +
    "FailureAction:ACTION SuccessAction:ACTION FailureActionExitStatus:OTHER " +
    "SuccessActionExitStatus:OTHER RebootArgument:OTHER ConditionPathExists:CONDITION " +
    "ConditionPathExistsGlob:CONDITION ConditionPathIsDirectory:CONDITION " +
    "ConditionPathIsSymbolicLink:CONDITION ConditionPathIsMountPoint:CONDITION " +
    "ConditionPathIsReadWrite:CONDITION ConditionPathIsEncrypted:CONDITION " +
    "ConditionDirectoryNotEmpty:CONDITION ConditionFileNotEmpty:CONDITION " +
    "ConditionFileIsExecutable:CONDITION ConditionNeedsUpdate:CONDITION " +
    "ConditionFirstBoot:CONDITION ConditionArchitecture:CONDITION " +
    "ConditionFirmware:CONDITION ConditionVirtualization:CONDITION ConditionHost:CONDITION " +
    "ConditionKernelCommandLine:CONDITION ConditionKernelVersion:CONDITION " +
    "ConditionCredential:CONDITION ConditionSecurity:CONDITION " +
    "ConditionCapability:CONDITION ConditionACPower:CONDITION ConditionMemory:CONDITION " +
    "ConditionCPUFeature:CONDITION ConditionCPUs:CONDITION ConditionEnvironment:CONDITION " +
    "ConditionUser:CONDITION ConditionGroup:CONDITION " +
    "ConditionControlGroupController:CONDITION ConditionOSRelease:CONDITION " +
    "ConditionMemoryPressure:CONDITION ConditionCPUPressure:CONDITION " +
    "ConditionIOPressure:CONDITION AssertPathExists:CONDITION " +
    "AssertPathExistsGlob:CONDITION AssertPathIsDirectory:CONDITION " +
    "AssertPathIsSymbolicLink:CONDITION AssertPathIsMountPoint:CONDITION " +
    "AssertPathIsReadWrite:CONDITION AssertPathIsEncrypted:CONDITION " +
    "AssertDirectoryNotEmpty:CONDITION AssertFileNotEmpty:CONDITION " +
    "AssertFileIsExecutable:CONDITION AssertNeedsUpdate:CONDITION " +
    "AssertFirstBoot:CONDITION AssertArchitecture:CONDITION AssertVirtualization:CONDITION " +
    "AssertHost:CONDITION AssertKernelCommandLine:CONDITION AssertKernelVersion:CONDITION " +
    "AssertCredential:CONDITION AssertSecurity:CONDITION AssertCapability:CONDITION " +
    "AssertACPower:CONDITION AssertMemory:CONDITION AssertCPUFeature:CONDITION " +
    "AssertCPUs:CONDITION AssertEnvironment:CONDITION AssertUser:CONDITION " +
    "AssertGroup:CONDITION AssertControlGroupController:CONDITION " +
    "AssertOSRelease:CONDITION AssertMemoryPressure:CONDITION AssertCPUPressure:CONDITION " +
    "AssertIOPressure:CONDITION CollectMode:OTHER",
  Service: [
    "PIDFile:OTHER ExecCondition:PATH ExecStartPre:PATH ExecStart:PATH ExecStartPost:PATH " +
    "ExecReload:PATH ExecStop:PATH ExecStopPost:PATH RestartSec:SECONDS TimeoutSec:SECONDS " +
    "TimeoutStartSec:SECONDS TimeoutStopSec:OTHER TimeoutAbortSec:OTHER " +
    "TimeoutStartFailureMode:TIMEOUTMODE TimeoutStopFailureMode:TIMEOUTMODE " +
    "RuntimeMaxSec:SECONDS RuntimeRandomizedExtraSec:SECONDS WatchdogSec:SECONDS " +
    "StartLimitInterval:SECONDS StartLimitBurst:UNSIGNED StartLimitAction:ACTION " +
    "FailureAction:ACTION RebootArgument:STRING Type:SERVICETYPE ExitType:SERVICEEXITTYPE " +
    "Restart:SERVICERESTART PermissionsStartOnly:BOOLEAN RootDirectoryStartOnly:BOOLEAN " +
    "RemainAfterExit:BOOLEAN GuessMainPID:BOOLEAN RestartPreventExitStatus:STATUS " +
    "RestartForceExitStatus:STATUS SuccessExitStatus:STATUS NonBlocking:BOOLEAN " +
    "BusName:OTHER FileDescriptorStoreMax:UNSIGNED NotifyAccess:ACCESS Sockets:SOCKETS " +
    "USBFunctionDescriptors:PATH USBFunctionStrings:PATH OOMPolicy:OTHER",
    EXEC_CONTEXT,
    CGROUP_CONTEXT,
    KILL_CONTEXT,
  ].join(" "),
  Socket: [
    "ListenStream:SOCKET ListenDatagram:SOCKET ListenSequentialPacket:SOCKET " +
    "ListenFIFO:SOCKET ListenNetlink:SOCKET ListenSpecial:SOCKET ListenMessageQueue:SOCKET " +
    "ListenUSBFunction:SOCKET SocketProtocol:OTHER BindIPv6Only:SOCKETBIND " +
    "Backlog:UNSIGNED BindToDevice:NETWORKINTERFACE ExecStartPre:PATH ExecStartPost:PATH " +
    "ExecStopPre:PATH ExecStopPost:PATH TimeoutSec:OTHER SocketUser:OTHER " +
    "SocketGroup:OTHER SocketMode:MODE DirectoryMode:MODE Accept:BOOLEAN " +
    "FlushPending:BOOLEAN Writable:BOOLEAN MaxConnections:UNSIGNED " +
    "MaxConnectionsPerSource:UNSIGNED KeepAlive:BOOLEAN KeepAliveTimeSec:SECONDS " +
    "KeepAliveIntervalSec:SECONDS KeepAliveProbes:UNSIGNED DeferAcceptSec:SECONDS " +
    "NoDelay:BOOLEAN Priority:INTEGER ReceiveBuffer:SIZE SendBuffer:SIZE IPTOS:TOS " +
    "IPTTL:INTEGER Mark:INTEGER PipeSize:SIZE FreeBind:BOOLEAN Transparent:BOOLEAN " +
    "Broadcast:BOOLEAN PassCredentials:BOOLEAN PassSecurity:BOOLEAN PassPacketInfo:BOOLEAN " +
    "Timestamping:OTHER TCPCongestion:STRING ReusePort:BOOLEAN " +
    "MessageQueueMaxMessages:LONG MessageQueueMessageSize:LONG RemoveOnStop:BOOLEAN " +
    "Symlinks:OTHER FileDescriptorName:OTHER Service:SERVICE " +
    "TriggerLimitIntervalSec:SECONDS TriggerLimitBurst:UNSIGNED SmackLabel:STRING " +
    "SmackLabelIPIn:STRING SmackLabelIPOut:STRING SELinuxContextFromNet:BOOLEAN",
    EXEC_CONTEXT,
    CGROUP_CONTEXT,
    KILL_CONTEXT,
  ].join(" "),
  Mount: [
    "What:STRING Where:PATH Options:STRING Type:STRING TimeoutSec:OTHER DirectoryMode:MODE " +
    "SloppyOptions:BOOLEAN LazyUnmount:BOOLEAN ForceUnmount:BOOLEAN ReadWriteOnly:BOOLEAN",
    EXEC_CONTEXT,
    CGROUP_CONTEXT,
    KILL_CONTEXT,
  ].join(" "),
  Automount: "Where:PATH ExtraOptions:STRING DirectoryMode:MODE TimeoutIdleSec:OTHER",
  Swap: [
    "What:PATH Priority:OTHER Options:STRING TimeoutSec:OTHER",
    EXEC_CONTEXT,
    CGROUP_CONTEXT,
    KILL_CONTEXT,
  ].join(" "),
  Timer: "OnCalendar:TIMER OnActiveSec:TIMER OnBootSec:TIMER OnStartupSec:TIMER " +
    "OnUnitActiveSec:TIMER OnUnitInactiveSec:TIMER OnClockChange:BOOLEAN " +
    "OnTimezoneChange:BOOLEAN Persistent:BOOLEAN WakeSystem:BOOLEAN " +
    "RemainAfterElapse:BOOLEAN FixedRandomDelay:BOOLEAN AccuracySec:SECONDS " +
    "RandomizedDelaySec:SECONDS Unit:UNIT",
  Path: "PathExists:PATH PathExistsGlob:PATH PathChanged:PATH PathModified:PATH " +
    "DirectoryNotEmpty:PATH Unit:UNIT MakeDirectory:BOOLEAN DirectoryMode:MODE " +
    "TriggerLimitIntervalSec:SECONDS TriggerLimitBurst:UNSIGNED",
  Slice: [
    CGROUP_CONTEXT,
  ].join(" "),
  Scope: [
    CGROUP_CONTEXT,
    KILL_CONTEXT,
    "RuntimeMaxSec:SECONDS RuntimeRandomizedExtraSec:SECONDS TimeoutStopSec:SECONDS " +
    "OOMPolicy:OTHER",
  ].join(" "),
  Install: "Alias:OTHER WantedBy:OTHER RequiredBy:OTHER Also:OTHER DefaultInstance:OTHER",
};
