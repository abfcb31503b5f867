using FashionFunctions.Core.Data;
using FashionFunctions.Core.Storage;
using FashionFunctions.Core.Training;
using Microsoft.Extensions.Logging;

namespace FashionFunctions.Core.Jobs;

/// <summary>What became of one delivery of a training message.</summary>
public enum JobOutcome
{
    Succeeded,
    AlreadyFinished,
    FailedPermanently,
}

/// <summary>
/// Runs the job a queue message names: trains from the dataset blobs, records progress every epoch, saves the
/// model, promotes it, and marks the job finished. A redelivered message for a finished job does nothing; a job
/// that died half-way is trained again from the start under the same model id, overwriting any partial blobs.
/// Failures that retrying cannot fix (bad message, bad options, bad data) are recorded and the message is parked
/// in the poison queue at once; anything else is rethrown for the host to retry, and recorded as failed on the
/// last attempt.
/// </summary>
public sealed class TrainingJobRunner(
    BlobJobStore jobs,
    BlobModelRegistry models,
    TrainingJobQueue queue,
    Func<IDatasetSource> datasetSource,
    TimeProvider time,
    ILogger<TrainingJobRunner> logger)
{
    public async Task<JobOutcome> RunAsync(string messageText, long dequeueCount, int maxDequeueCount, CancellationToken cancellationToken)
    {
        TrainingJobMessage message;
        try
        {
            message = TrainingJobMessage.Parse(messageText);
        }
        catch (FormatException e)
        {
            await RecordUnparseableAsync(messageText, e.Message, cancellationToken).ConfigureAwait(false);
            return JobOutcome.FailedPermanently;
        }

        var found = await jobs.GetAsync(message.JobId, cancellationToken).ConfigureAwait(false);
        if (found is null)
        {
            await RecordUnparseableAsync(messageText, $"Job {message.JobId} has no record.", cancellationToken).ConfigureAwait(false);
            return JobOutcome.FailedPermanently;
        }

        var (job, etag) = found.Value;
        if (job.IsFinished)
        {
            logger.LogInformation("Job {JobId} is already {Status}; redelivered message ignored", job.Id, job.Status);
            return JobOutcome.AlreadyFinished;
        }

        var tracker = new JobRecordWriter(jobs, job, etag);
        try
        {
            await tracker.UpdateAsync(j => j with
            {
                Status = TrainingJobStatus.Running,
                StartedAt = time.GetUtcNow(),
                UpdatedAt = time.GetUtcNow(),
                Attempts = j.Attempts + 1,
                Epoch = 0,
                Metrics = [],
                Error = null,
            }, cancellationToken).ConfigureAwait(false);

            var dataset = await FashionMnistLoader.LoadAsync(datasetSource(), cancellationToken).ConfigureAwait(false);
            var progress = new EpochRecorder(tracker, time);
            var result = await Task.Run(() => Trainer.Train(dataset, job.Options, progress, cancellationToken), cancellationToken).ConfigureAwait(false);
            await progress.FlushAsync().ConfigureAwait(false);

            var artifact = result.ToArtifact(dataset, ModelIdFor(job.Id), time.GetUtcNow());
            await models.SaveAsync(artifact, cancellationToken).ConfigureAwait(false);
            bool promoted = false;
            if (job.Promote)
            {
                var pointer = await models.PromoteAsync(artifact.ModelId, onlyIfNewer: true, cancellationToken).ConfigureAwait(false);
                promoted = pointer.ModelId == artifact.ModelId;
            }

            await tracker.UpdateAsync(j => j with
            {
                Status = TrainingJobStatus.Succeeded,
                FinishedAt = time.GetUtcNow(),
                UpdatedAt = time.GetUtcNow(),
                ModelId = artifact.ModelId,
                Promoted = promoted,
                Metrics = result.Epochs,
                Epoch = result.Epochs.Count,
            }, cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Job {JobId} trained model {ModelId} to {Accuracy:F4} test accuracy", job.Id, artifact.ModelId, result.TestAccuracy);
            return JobOutcome.Succeeded;
        }
        catch (Exception e) when (IsPermanent(e))
        {
            await MarkFailedAsync(tracker, e.Message).ConfigureAwait(false);
            await queue.SendToPoisonAsync(messageText, CancellationToken.None).ConfigureAwait(false);
            logger.LogError(e, "Job {JobId} failed permanently", job.Id);
            return JobOutcome.FailedPermanently;
        }
        catch (Exception e) when (dequeueCount >= maxDequeueCount)
        {
            await MarkFailedAsync(tracker, $"Gave up after {dequeueCount} attempts: {e.Message}").ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>One model id per job, so a rerun overwrites a half-written model instead of leaving a second one.</summary>
    public static string ModelIdFor(string jobId) => "fmnist-" + jobId["job-".Length..];

    private static bool IsPermanent(Exception e) => e is InvalidDatasetException or InvalidTrainingOptionsException or ArgumentException or Modeling.InvalidModelException;

    private static async Task MarkFailedAsync(JobRecordWriter tracker, string reason)
    {
        await tracker.UpdateAsync(j => j with
        {
            Status = TrainingJobStatus.Failed,
            Error = reason,
            FinishedAt = DateTimeOffset.UtcNow,
            UpdatedAt = DateTimeOffset.UtcNow,
        }, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task RecordUnparseableAsync(string messageText, string reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        string excerpt = messageText.Length > 200 ? messageText[..200] + "…" : messageText;
        var job = new TrainingJob
        {
            Id = TrainingJob.NewId(now),
            Status = TrainingJobStatus.Failed,
            CreatedAt = now,
            UpdatedAt = now,
            FinishedAt = now,
            Options = new TrainingOptions(),
            Promote = false,
            Error = $"Unusable queue message ({reason}) Message: {excerpt}",
        };
        await jobs.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await jobs.TryCreateAsync(job, cancellationToken).ConfigureAwait(false);
        await queue.SendToPoisonAsync(messageText, cancellationToken).ConfigureAwait(false);
        logger.LogError("Queue message could not be used ({Reason}); recorded as failed job {JobId}", reason, job.Id);
    }
}
