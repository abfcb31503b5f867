using Azure.Storage.Queues;
using FashionFunctions.Core.Jobs;

namespace FashionFunctions.Core.Storage;

/// <summary>
/// Sends training-job messages. The Functions queue trigger decodes messages as base64 by default (host.json
/// "messageEncoding"), while the v12 QueueClient sends plain text unless told otherwise; a plain-text message
/// would fail to decode and end in the poison queue unseen. So the client here must be base64.
/// </summary>
public sealed class TrainingJobQueue
{
    private readonly QueueClient queue;
    private readonly QueueClient poison;

    /// <param name="service">Created with <see cref="ClientOptions"/> (base64 messages).</param>
    public TrainingJobQueue(QueueServiceClient service)
    {
        queue = service.GetQueueClient(StorageNames.TrainingQueue);
        poison = service.GetQueueClient(StorageNames.TrainingPoisonQueue);
    }

    public static QueueClientOptions ClientOptions() => new() { MessageEncoding = QueueMessageEncoding.Base64 };

    private volatile bool created;

    /// <summary>Creates both queues on first use; later calls cost nothing.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        if (!created)
        {
            await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            created = true;
        }
    }

    /// <summary>Puts the message on the queue, visible after <paramref name="delay"/> (default: at once).</summary>
    public async Task EnqueueAsync(TrainingJobMessage message, TimeSpan? delay = null, CancellationToken cancellationToken = default)
    {
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await queue.SendMessageAsync(message.ToJson(), visibilityTimeout: delay, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
