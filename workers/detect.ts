// Piscina task entry: runs the detection rules over one batch slice off the main thread.
import { detect, type DetectionResult, type DetectionTask } from '../src/detection.ts';

export default function run(task: DetectionTask): DetectionResult {
  return detect(task);
}
