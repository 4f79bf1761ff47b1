// kafkajs as an ES module with every member exported by name (see interop.ts).
import kafkajs from 'kafkajs';

export const {
  Kafka, PartitionAssigners, AssignerProtocol, Partitioners, logLevel, CompressionTypes, CompressionCodecs, ConfigResourceTypes,
  AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes, ConfigSource,
} = kafkajs;
export default kafkajs;
