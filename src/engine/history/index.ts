export { History, DEFAULT_QUERY_LIMIT } from './history.js';
