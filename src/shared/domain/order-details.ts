import type { OrderDetails } from './order.js';

export interface UserProfile {
  firstName: string;
  lastName: string;
}

export interface Product {
  name: string;
  price: number;
}

export function orderDetailsFrom(user: UserProfile, product: Product): OrderDetails {
  return {
    customer_fullname: `${user.firstName} ${user.lastName}`,
    product_name: product.name,
    total_amount: product.price,
  };
}
