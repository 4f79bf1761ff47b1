// An independent read-committed reader: the Java client (from the Kafka jars the native stack runs on) reads every
// partition of a topic from the beginning to its end offsets and prints "partition<TAB>offset<TAB>key<TAB>value".
// Run as a single-file source program: java -cp '<kafka libs>/*' ReadCommitted.java <brokers> <topic>
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

public class ReadCommitted {
  public static void main(String[] args) {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("isolation.level", "read_committed");
    props.put("enable.auto.commit", "false");
    props.put("key.deserializer", StringDeserializer.class.getName());
    props.put("value.deserializer", StringDeserializer.class.getName());
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = new ArrayList<>();
      consumer.partitionsFor(args[1]).forEach(p -> partitions.add(new TopicPartition(args[1], p.partition())));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      // Read committed, the end offsets are the last stable offsets: an open transaction stops the reader there.
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.currentTimeMillis() + 60_000;
      while (System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          System.out.println(r.partition() + "\t" + r.offset() + "\t" + r.key() + "\t" + r.value());
        }
        boolean done = true;
        for (TopicPartition p : partitions) if (consumer.position(p) < end.get(p)) done = false;
        if (done) return;
      }
      System.err.println("not at the end offsets after 60 s: " + end);
      System.exit(2);
    }
  }
}
