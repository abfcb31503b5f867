namespace FashionFunctions.Benchmarks.Sweeps;

/// <summary>
/// A discrete-event model of a sweep on Flex Consumption: N job messages on one queue, a scale controller adding
/// instances (at most <see cref="SweepScaleParameters.InstancesPerScaleDecision"/> per decision, never more than the
/// unfinished jobs or the maximum), each instance running one job at a time (host.json batchSize 1,
/// newBatchThreshold 0) and polling the queue when idle. A crashed execution loses the epoch it was in (jobs
/// checkpoint every epoch); its message reappears after the recovery delay and any instance resumes it. Billing
/// counts execution time only (on-demand), so cold starts and idle polling cost nothing but time.
/// </summary>
public sealed class SweepScaleSimulation
{
    private enum InstanceState { Starting, Idle, Busy, Gone }

    private sealed class Instance
    {
        public InstanceState State;
        public int Generation; // bumped on every state change, so that stale events are ignored
        public Job? Job;
        public double AttemptStart;
    }

    private sealed class Job
    {
        public double RemainingTrainingSeconds;
        public bool Done;
    }

    private readonly SweepScaleParameters p;
    private readonly Random random;
    private readonly PriorityQueue<Action, (double Time, long Order)> events = new();
    private readonly Queue<Job> visible = new();
    private readonly List<Instance> instances = [];
    private readonly Dictionary<long, int> storageRequests = [], queueMessages = [], partitionWrites = [];
    private long order;
    private double now, makespan, billedSeconds, longestExecution;
    private int completed, executions, crashes, peakInstances;

    private SweepScaleSimulation(SweepScaleParameters parameters)
    {
        p = parameters;
        random = new Random(parameters.RandomSeed);
    }

    public static SweepScaleResult Run(SweepScaleParameters parameters)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parameters.Jobs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(parameters.MaxInstances, 1);
        return new SweepScaleSimulation(parameters).Simulate();
    }

    private SweepScaleResult Simulate()
    {
        for (int i = 0; i < p.Jobs; i++)
        {
            visible.Enqueue(new Job { RemainingTrainingSeconds = p.TrainingSecondsPerJob });
        }

        At(0, ScaleDecision);
        while (completed < p.Jobs && events.TryDequeue(out var action, out var key))
        {
            now = key.Time;
            action();
        }

        double gbSeconds = billedSeconds * p.InstanceMemoryMb / 1024.0;
        return new SweepScaleResult(
            makespan, gbSeconds, executions, crashes, peakInstances, longestExecution,
            Peak(storageRequests), Peak(queueMessages), Peak(partitionWrites),
            gbSeconds * p.PricePerGbSecond + executions * p.PricePerMillionExecutions / 1e6);
    }

    private void ScaleDecision()
    {
        int unfinished = p.Jobs - completed;
        int target = Math.Min(p.MaxInstances, unfinished);
        var live = instances.Where(i => i.State != InstanceState.Gone).ToList();
        for (int added = 0; added < p.InstancesPerScaleDecision && live.Count + added < target; added++)
        {
            var instance = new Instance { State = InstanceState.Starting };
            instances.Add(instance);
            int generation = instance.Generation;
            At(now + p.ColdStartSeconds, () => Ready(instance, generation));
        }

        foreach (var idle in live.Where(i => i.State == InstanceState.Idle).Take(Math.Max(0, live.Count - target)))
        {
            Change(idle, InstanceState.Gone);
        }

        peakInstances = Math.Max(peakInstances, instances.Count(i => i.State != InstanceState.Gone));
        At(now + p.ScaleDecisionSeconds, ScaleDecision);
    }

    private void Ready(Instance instance, int generation)
    {
        if (instance.Generation == generation)
        {
            Change(instance, InstanceState.Idle);
            Poll(instance, instance.Generation);
        }
    }

    private void Poll(Instance instance, int generation)
    {
        if (instance.Generation != generation || instance.State != InstanceState.Idle)
        {
            return;
        }

        Count(storageRequests);
        if (!visible.TryDequeue(out var job))
        {
            At(now + p.PollingIntervalSeconds, () => Poll(instance, generation));
            return;
        }

        Count(queueMessages);
        Change(instance, InstanceState.Busy);
        instance.Job = job;
        instance.AttemptStart = now;
        executions++;
        Count(storageRequests, 5);  // the dataset's four blobs, the job record's "running"
        Count(partitionWrites);
        double duration = p.OverheadSecondsPerJob + job.RemainingTrainingSeconds;
        int attempt = instance.Generation;
        if (random.NextDouble() < p.CrashProbability)
        {
            At(now + random.NextDouble() * duration, () => Crash(instance, attempt));
        }
        else
        {
            At(now + duration, () => Finish(instance, attempt));
        }
    }

    private void Finish(Instance instance, int generation)
    {
        if (instance.Generation != generation)
        {
            return;
        }

        var job = instance.Job!;
        CountEpochs(instance, (int)Math.Round(job.RemainingTrainingSeconds / p.EpochSeconds));
        EndExecution(instance);
        job.Done = true;
        completed++;
        makespan = now;
        Count(storageRequests, 5);  // weights, manifest, the job record's "succeeded", the sweep's record, the message's deletion
        Count(partitionWrites, 2);
        Count(queueMessages);
        Change(instance, InstanceState.Idle);
        Poll(instance, instance.Generation);
    }

    private void Crash(Instance instance, int generation)
    {
        if (instance.Generation != generation)
        {
            return;
        }

        var job = instance.Job!;
        double trained = Math.Max(0, now - instance.AttemptStart - p.OverheadSecondsPerJob / 2);
        int epochsSaved = Math.Min((int)(trained / p.EpochSeconds), (int)Math.Round(job.RemainingTrainingSeconds / p.EpochSeconds));
        CountEpochs(instance, epochsSaved);
        job.RemainingTrainingSeconds = Math.Max(0, job.RemainingTrainingSeconds - epochsSaved * p.EpochSeconds);
        EndExecution(instance);
        crashes++;
        At(now + p.CrashRecoverySeconds, () => visible.Enqueue(job));

        // The instance's worker restarts (or a replacement starts): as long as a cold start.
        Change(instance, InstanceState.Starting);
        int restarted = instance.Generation;
        At(now + p.ColdStartSeconds, () => Ready(instance, restarted));
    }

    private void EndExecution(Instance instance)
    {
        double elapsed = now - instance.AttemptStart;
        billedSeconds += elapsed;
        longestExecution = Math.Max(longestExecution, elapsed);
        instance.Job = null;
    }

    /// <summary>Each finished epoch writes a checkpoint blob and updates the job record, at the epoch's end.</summary>
    private void CountEpochs(Instance instance, int epochs)
    {
        for (int e = 1; e <= epochs; e++)
        {
            long second = (long)(instance.AttemptStart + p.OverheadSecondsPerJob / 2 + e * p.EpochSeconds);
            storageRequests[second] = storageRequests.GetValueOrDefault(second) + 2;
            partitionWrites[second] = partitionWrites.GetValueOrDefault(second) + 1;
        }
    }

    private void Change(Instance instance, InstanceState state)
    {
        instance.State = state;
        instance.Generation++;
    }

    private void Count(Dictionary<long, int> perSecond, int requests = 1)
    {
        long second = (long)now;
        perSecond[second] = perSecond.GetValueOrDefault(second) + requests;
    }

    private static int Peak(Dictionary<long, int> perSecond) => perSecond.Count == 0 ? 0 : perSecond.Values.Max();

    private void At(double time, Action action) => events.Enqueue(action, (time, order++));
}
